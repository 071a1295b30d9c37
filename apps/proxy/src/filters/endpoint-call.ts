import { performance } from 'node:perf_hooks';
import type { Balancer, EndpointSet } from '../balancer/index.ts';
import { recordLatency } from '../balancer/ewma.ts';
import type { EndpointState } from '../upstream/endpoint.ts';
import { grpcStatusIn, isGrpc, isGrpcServerError } from '../http/grpc.ts';
import { appFailureOf, isTrellisRateLimited, proxyError } from '../http/response.ts';
import { formatTraceparent, newSpanId } from '../http/trace-context.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { AnsweringHandler, AnswerLook, ProxyRequest } from '../http/types.ts';
import type { Tracer } from '../telemetry/tracer.ts';
import { onResponseEnd, sendToEndpoint, type AttemptTimeouts } from '../upstream/call.ts';
import type { UpstreamService } from '../upstream/service.ts';

export interface EndpointCallConfig {
  service: UpstreamService;
  /** The endpoints this call sends to: every endpoint of the service, or one split backend's. */
  targets: EndpointSet;
  balancer: Balancer;
  /** Each attempt's own limits, fixed per route: the per-try timeout (head) and the idle timeout (body). */
  timeouts: AttemptTimeouts;
  tracer: Tracer;
}

/**
 * The terminal of the outbound chain: the balancer picks an available endpoint of `targets`, one
 * attempt is sent, and its outcome goes back to the service (outlier detection), the balancer (latency),
 * the tracer, and req.outcome. It answers the filter in front of it (the retry filter) through
 * `answering` as well: inside the attempt's callback, without a promise turn of the filter's own.
 */
export function createEndpointCall(call: EndpointCallConfig): AnsweringHandler {
  const handler = ((req) => sendOrReject(call, req, undefined)) as AnsweringHandler;
  handler.answering = (req, look) => sendOrReject(call, req, look);
  return handler;
}

function sendOrReject(call: EndpointCallConfig, req: ProxyRequest, look: AnswerLook | undefined): Promise<ProxyResponse> {
  // A Handler rejects rather than throws (the listener answers 500 internal-error to a rejection).
  try {
    return sendAttempt(call, req, look);
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Picks an endpoint and sends one attempt; the answer goes on to attemptOver, then to `look` when given. */
function sendAttempt(call: EndpointCallConfig, req: ProxyRequest, look: AnswerLook | undefined): Promise<ProxyResponse> {
  const { service, targets, balancer, timeouts } = call;
  const startedAt = performance.now();
  const failed = req.outcome.failedEndpoints;
  const endpoint = failed === undefined ? balancer(targets, req, startedAt) : elsewhere(balancer(targets, req, startedAt), failed, targets, startedAt);
  if (!endpoint) {
    const subset = req.route.subset;
    const what = subset ? `subset ${subset} of ${service.key}` : service.key;
    const why = targets.all.length === 0 ? 'has no endpoints' : 'has every endpoint ejected';
    const refusal = Promise.resolve(proxyError('no-healthy-endpoint', `${what} ${why}`));
    return look ? refusal.then(look) : refusal;
  }
  const trace = req.trace;
  const spanId = newSpanId();
  if (trace) req.headers.traceparent = formatTraceparent(trace.traceId, spanId, trace.sampled);
  endpoint.active++;
  // HTTP/2 for gRPC, and between proxies (mTLS) for callers that came over HTTP/2, or for every caller
  // in a node agent (EndpointState.meshHttp2): one multiplexed session.
  const http2 = isGrpc(req) || endpoint.meshHttp2 || (endpoint.mtls && req.incoming.httpVersionMajor === 2);
  // attemptOver runs as the attempt's answer comes, before its promise settles: the attempt's state stays
  // in one small closure, with no suspended frame (an async function) and no second promise (a `then`).
  const over = look
    ? (response: ProxyResponse) => look(attemptOver(call, req, endpoint, spanId, startedAt, response))
    : (response: ProxyResponse) => attemptOver(call, req, endpoint, spanId, startedAt, response);
  return sendToEndpoint(endpoint, req, req.headers, req.cancellation, timeouts, http2, over);
}

/** What one attempt's answer tells the service (outlier detection), the balancer (latency), the tracer and req.outcome. */
function attemptOver(
  { service, tracer }: EndpointCallConfig,
  req: ProxyRequest,
  endpoint: EndpointState,
  spanId: string,
  startedAt: number,
  response: ProxyResponse,
): ProxyResponse {
  const outcome = req.outcome;
  // The destination's proxy (believed over mTLS only) says its app could not be reached, or broke off:
  // the hop failed as a transport would (retried elsewhere when safe, a mark against the endpoint).
  if (endpoint.mtls && response.failure === undefined) response.failure = appFailureOf(response);
  outcome.attempts++;
  // A gRPC server that fails in its head (trailers-only: UNAVAILABLE, INTERNAL, ...) failed like a 503 would.
  const status = response.status === 200 && isGrpcServerError(grpcStatusIn(response.headers)) ? 503 : response.status;
  if (response.failure !== undefined || status >= 500) {
    outcome.failedAttempts++;
    (outcome.failedEndpoints ??= []).push(endpoint.key);
  }
  const now = performance.now();
  // The attempt's number now: a retry counts the next one before this body has been drained.
  const attempt = outcome.retries;
  // The client span covers the whole attempt, body included, like the server span at the other end:
  // a response whose head is quick and whose body is slow is a slow request, and is kept as one.
  onResponseEnd(response, () => {
    endpoint.active--;
    tracer.clientSpan(req, spanId, attempt, startedAt, performance.now() - startedAt, response, endpoint.key);
  });
  // An attempt we cancelled ourselves (client gone, route timeout) says nothing about the endpoint.
  if (!req.cancellation.cancelled) {
    if (response.failure === undefined) recordLatency(endpoint, now - startedAt, now);
    if (service.report(endpoint, status, response.failure, now)) outcome.ejections++;
  }
  outcome.version = endpoint.version;
  outcome.upstream = endpoint.key;
  outcome.mtls = endpoint.mtls;
  // Rate-limited on this edge means refused by the destination's rate limiter; the last attempt decides.
  outcome.rateLimited = isTrellisRateLimited(response);
  return response;
}

/**
 * For a retry: the balancer's pick, unless an earlier attempt of the request failed there and another
 * available endpoint is left (then the first such one, from a random start, so retries spread).
 */
function elsewhere(picked: EndpointState | undefined, failed: readonly string[], targets: EndpointSet, now: number): EndpointState | undefined {
  if (picked === undefined || !failed.includes(picked.key)) return picked;
  const list = targets.all;
  const start = (Math.random() * list.length) | 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[(start + i) % list.length];
    if (e && e.isAvailable(now) && !failed.includes(e.key)) return e;
  }
  return picked;
}
