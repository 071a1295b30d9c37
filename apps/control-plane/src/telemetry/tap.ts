import type { Span } from '@trellis/shared';

/** One live request as `trellis tap` / the dashboard's tap shows it. */
export interface TapEvent {
  at: number;
  traceId: string;
  service: string;
  source: string;
  method: string;
  path: string;
  route: string;
  status: number;
  latencyMs: number;
}

/** A live request from a server span (the destination's proxy saw it), or undefined for other spans. */
export function tapEvent(span: Span): TapEvent | undefined {
  if (span.kind !== 'server') return undefined;
  const a = span.attributes;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  return {
    at: span.startMs,
    traceId: span.traceId,
    service: span.service,
    source: text(a.source, 'external'),
    method: text(a['http.method'], ''),
    path: text(a['http.path'], ''),
    route: text(a.route, span.name),
    status: span.status,
    latencyMs: span.durationMs,
  };
}
