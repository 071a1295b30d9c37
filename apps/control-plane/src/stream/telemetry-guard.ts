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

/** Spans are the reporting proxy's: their service is its authenticated service, whatever they claim. */
export function ownSpans(session: ProxySession, spans: readonly Span[]): Span[] {
  const self = session.serviceKey;
  return spans.map((s) => (s.service === self ? s : { ...s, service: self }));
}
