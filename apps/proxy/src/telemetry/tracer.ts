import type { Span } from '@trellis/shared';
import { grpcStatusIn, isGrpcServerError } from '../http/grpc.ts';
import { isTrellisRateLimited } from '../http/response.ts';
import { UpstreamBody } from '../http/response-body.ts';
import { firstValue } from '../http/headers.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { ProxyRequest } from '../http/types.ts';
import { epochMs, keepSpan, SpanBuffer } from './spans.ts';

/**
 * Turns finished requests and attempts into spans for the control plane. The keep decision comes first,
 * so requests that are not traced, and spans the full buffer would drop, cost a comparison and no allocation.
 */
export class Tracer {
  readonly buffer: SpanBuffer;
  /**
   * Off until there is somewhere to send spans (a control-plane stream): a standalone proxy (--config)
   * would only fill its buffer with spans nobody reads. Trace context is propagated either way.
   */
  enabled = false;

  constructor(
    /** This workload, "name.namespace", as spans name it (the same form edges use). */
    private readonly service: string,
    /** The spans held at most, and admitted per second at most (spans.ts's defaults when absent). */
    bufferLimit?: number,
    spansPerSecond?: number,
  ) {
    this.buffer = new SpanBuffer(bufferLimit, spansPerSecond);
  }

  /** One server span per request the inbound listener received. */
  serverSpan(req: ProxyRequest, status: number, durationMs: number): void {
    const trace = req.trace;
    const outcome = req.outcome;
    const error = status >= 500 || status === 0 || isGrpcServerError(outcome.grpcStatus);
    if (!this.enabled || !trace || !keepSpan(trace.sampled, error, durationMs) || !this.buffer.admit(req.startedAt + durationMs)) return;
    const attributes: Span['attributes'] = { route: req.route.name, 'http.method': req.method, 'http.path': req.path, source: req.source };
    if (req.identity !== undefined) attributes['peer.identity'] = req.identity;
    if (outcome.rateLimited) attributes.rate_limited = true;
    if (outcome.cache) attributes.cache = outcome.cache;
    if (outcome.grpcStatus !== undefined) attributes.grpc_status = outcome.grpcStatus;
    const span: Span = {
      traceId: trace.traceId,
      spanId: trace.spanId,
      kind: 'server',
      service: this.service,
      name: `${req.method} ${routeLabel(req.route.name, req.path)}`,
      startMs: epochMs(req.startedAt),
      durationMs,
      status,
      error,
      attributes,
    };
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }

  /**
   * One client span per attempt the outbound side sent upstream. The destination's proxy says in the
   * answer what it did: `x-trellis-reason: rate-limited` (its rate limiter refused the attempt) and
   * `x-cache` (HIT: answered from its cache, MISS: the app answered); both become the same attributes as
   * on that proxy's server span, so the flags show from either end of the edge. Called when the
   * attempt's body is over; `attempt` is its retry number (req.outcome.retries may have moved on by then).
   */
  clientSpan(req: ProxyRequest, spanId: string, attempt: number, startedAt: number, durationMs: number, response: ProxyResponse, endpoint: string): void {
    const trace = req.trace;
    const route = req.route;
    const status = response.status;
    const grpcStatus = grpcStatusIn(response.headers) ?? (response.body instanceof UpstreamBody ? grpcStatusIn(response.body.trailers) : undefined);
    const error = response.failure !== undefined || status >= 500 || isGrpcServerError(grpcStatus);
    if (!this.enabled || !trace || !keepSpan(trace.sampled, error, durationMs) || !this.buffer.admit(startedAt + durationMs)) return;
    const span: Span = {
      traceId: trace.traceId,
      spanId,
      kind: 'client',
      service: this.service,
      name: `${req.method} ${route.destination} ${routeLabel(route.name, req.path)}`,
      startMs: epochMs(startedAt),
      durationMs,
      status,
      error,
      attributes: {
        route: route.name,
        destination: route.destination,
        'upstream.endpoint': endpoint,
        'retry.attempt': attempt,
        'http.method': req.method,
        'http.path': req.path,
      },
    };
    if (route.subset) span.attributes.subset = route.subset;
    if (req.outcome.mtls) span.attributes.mtls = true;
    if (grpcStatus !== undefined) span.attributes.grpc_status = grpcStatus;
    // Only an answer that came from upstream: a response this proxy made for the attempt says nothing.
    if (response.reason === undefined) {
      if (isTrellisRateLimited(response)) span.attributes.rate_limited = true;
      const cache = firstValue(response.headers['x-cache']);
      if (cache === 'HIT' || cache === 'MISS') span.attributes.cache = cache;
    }
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }
}

/**
 * The route part of a span's name: the matched route's name, or the path (without its query) when only
 * the catch-all matched — its name, "default", reads as the namespace ("GET payments.default default").
 */
function routeLabel(route: string, path: string): string {
  return route === 'default' ? (path.split('?')[0] ?? path) : route;
}
