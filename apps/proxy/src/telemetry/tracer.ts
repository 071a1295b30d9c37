import type { Span } from '@trellis/shared';
import type { ProxyRequest } from '../http/types.ts';
import { epochMs, keepSpan, SpanBuffer } from './spans.ts';

/**
 * Turns finished requests and attempts into spans for the control plane. The keep decision comes first,
 * so requests that are not traced cost one comparison and no allocation.
 */
export class Tracer {
  readonly buffer = new SpanBuffer();
  /**
   * Off until there is somewhere to send spans (a control-plane stream): a standalone proxy (--config)
   * would only fill its buffer with spans nobody reads. Trace context is propagated either way.
   */
  enabled = false;

  constructor(
    /** This workload, "name.namespace", as spans name it (the same form edges use). */
    private readonly service: string,
  ) {}

  /** One server span per request the inbound listener received. */
  serverSpan(req: ProxyRequest, status: number, durationMs: number): void {
    const trace = req.trace;
    const error = status >= 500 || status === 0;
    if (!this.enabled || !trace || !keepSpan(trace.sampled, error, durationMs)) return;
    const attributes: Span['attributes'] = { route: req.route, 'http.method': req.method, 'http.path': req.path, source: req.source };
    if (req.rateLimited) attributes.rate_limited = true;
    if (req.cache) attributes.cache = req.cache;
    const span: Span = {
      traceId: trace.traceId,
      spanId: trace.spanId,
      kind: 'server',
      service: this.service,
      name: `${req.method} ${req.route}`,
      startMs: epochMs(req.startedAt),
      durationMs,
      status,
      error,
      attributes,
    };
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }

  /** One client span per attempt the outbound side sent upstream. */
  clientSpan(req: ProxyRequest, spanId: string, startedAt: number, durationMs: number, status: number, endpoint: string, failed: boolean): void {
    const trace = req.trace;
    const error = failed || status >= 500;
    if (!this.enabled || !trace || !keepSpan(trace.sampled, error, durationMs)) return;
    const span: Span = {
      traceId: trace.traceId,
      spanId,
      kind: 'client',
      service: this.service,
      name: `${req.method} ${req.destination} ${req.route}`,
      startMs: epochMs(startedAt),
      durationMs,
      status,
      error,
      attributes: {
        route: req.route,
        destination: req.destination,
        'upstream.endpoint': endpoint,
        'retry.attempt': req.retries,
        'http.method': req.method,
        'http.path': req.path,
      },
    };
    if (req.subset) span.attributes.subset = req.subset;
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }
}
