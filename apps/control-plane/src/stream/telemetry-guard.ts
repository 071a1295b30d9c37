import type { EdgeDelta, MetricsReport, Span } from '@trellis/shared';
import type { ProxySession } from './session.ts';

/**
 * What a proxy may report: only its own traffic. Outbound edges start at its service; inbound edges end
 * at it and come from outside the mesh (meshed callers count their own calls). Everything else is
 * dropped and counted, so a proxy cannot put traffic on another service's edges.
 */
export function ownEdges(session: ProxySession, report: MetricsReport): { kept: EdgeDelta[]; refused: number } {
  const self = session.serviceKey;
  const kept = report.edges.filter((e) => (e.side === 'outbound' ? e.source === self : e.destination === self && e.source === 'external'));
  return { kept, refused: report.edges.length - kept.length };
}

/**
 * Spans a proxy may report: its own service's ("name.namespace", or the bare name it knows itself by),
 * named "name.namespace" from here on. Spans claiming another service are dropped (and counted).
 */
export function ownSpans(session: ProxySession, spans: readonly Span[]): { kept: Span[]; refused: number } {
  const self = session.serviceKey;
  const kept: Span[] = [];
  for (const s of spans) {
    if (s.service === self) kept.push(s);
    else if (s.service === session.who.service) kept.push({ ...s, service: self });
  }
  return { kept, refused: spans.length - kept.length };
}
