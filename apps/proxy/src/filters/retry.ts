import type { CompiledRetry } from '@trellis/shared';
import { makeReplayable, recordBody } from '../http/body.ts';
import { GRPC_RETRY_ON, grpcStatusIn, isGrpc } from '../http/grpc.ts';
import { sleep } from '../http/cancellation.ts';
import { proxyError } from '../http/response.ts';
import type { ProxyResponse } from '../http/response.ts';
import { isAnswering, type AnsweringHandler, type Handler, type Middleware, type ProxyRequest } from '../http/types.ts';
import { discardBody } from '../upstream/call.ts';
import { RetryBudget } from './retry-budget.ts';

/** The per-try timeout a retry policy gives each attempt: only while it retries at all (attempts > 1). */
export function perTryTimeoutOf(policy: CompiledRetry | undefined): number | undefined {
  return policy && policy.attempts > 1 ? policy.perTryTimeoutMs : undefined;
}

/** A Retry-After longer than this is not waited for: the 429 goes back to the caller instead. */
export const MAX_RETRY_AFTER_MS = 10_000;

// Methods whose repetition has the same effect as one call (RFC 9110 §9.2.2): only these are retried
// after a reset, because the upstream may have acted on the request before the connection broke.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Retry-After as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before retrying after `response`, or -1 when it must not be retried. Proxy answers that
 * stand for no attempt (circuit open, no healthy endpoint) are final.
 */
function retryDelay(policy: CompiledRetry, on: ReadonlySet<string>, req: ProxyRequest, response: ProxyResponse, retry: number): number {
  const { status, failure } = response;
  if (response.reason !== undefined && failure === undefined) return -1;
  // Most answers: an HTTP answer below 500, not a 429, without a gRPC status in its head. No condition
  // retries those, so they are final before any backoff is drawn.
  if (failure === undefined && status < 500 && status !== 429 && response.headers['grpc-status'] === undefined) return -1;
  const backoff = Math.random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (retry - 1));
  if (status === 429) {
    if (!on.has('retriable-429')) return -1;
    const wait = retryAfterMs(response.headers['retry-after']);
    if (wait === undefined) return backoff;
    return wait > MAX_RETRY_AFTER_MS ? -1 : wait;
  }
  if (failure === 'reset' && !IDEMPOTENT.has(req.method)) return -1;
  if (failure === 'connect-failure' && on.has('connect-failure')) return backoff;
  if (failure === 'reset' && on.has('reset')) return backoff;
  if (on.has('5xx') && status >= 500) return backoff;
  if (on.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return backoff;
  // A gRPC failure known from the head (trailers-only): one whose status comes in trailers is already streaming.
  const grpcStatus = grpcStatusIn(response.headers);
  if (grpcStatus !== undefined && on.has(GRPC_RETRY_ON[grpcStatus] ?? '')) return backoff;
  return -1;
}

/**
 * Retries: up to `attempts` tries in all, on the configured conditions, with exponential backoff and
 * full jitter, and a budget so a failing service is not hit with a retry storm.
 * A request is retried only when its body can be replayed: none, or (with `replayBodies`, what a
 * RetryPolicy asks for) a body of at most MAX_REPLAYABLE_BODY_BYTES, kept while the request runs.
 * The per-try timeout is each attempt's own limit, given to the endpoint call (perTryTimeoutOf).
 */
export function createRetry(policy: CompiledRetry | undefined, replayBodies = true): Middleware | null {
  if (!policy || policy.attempts <= 1) return null;
  const on = new Set<string>(policy.retryOn);
  // One budget per route and snapshot: a config push starts a fresh one-second window, nothing more.
  const budget = new RetryBudget(policy.budgetRatio, policy.budgetMinPerSecond);
  return (next) => {
    const route: RouteRetry = { policy, on, budget, next, answering: isAnswering(next) ? next : undefined };
    return (req) => {
      budget.onRequest(performance.now());
      // Most requests have no body: no await before the first try (an async frame, a promise and a
      // microtask turn each).
      const body = req.body;
      if (body === null || Buffer.isBuffer(body)) return retrying(route, req, undefined);
      if (!replayBodies) return next(req);
      return replayThenRetry(route, req);
    };
  };
}

/** What retrying on one route needs, made once per route and snapshot (nothing of it is per request). */
interface RouteRetry {
  policy: CompiledRetry;
  /** The policy's retryOn conditions. */
  on: ReadonlySet<string>;
  budget: RetryBudget;
  /** The rest of the chain: one try. */
  next: Handler;
  /** The same, when it shows its answer as it comes (the endpoint call, without a circuit breaker in between). */
  answering: AnsweringHandler | undefined;
}

/** A request with a streamed body: read it into memory when small enough to send again, then retry as any other. */
async function replayThenRetry(route: RouteRetry, req: ProxyRequest): Promise<ProxyResponse> {
  let replayable: boolean;
  try {
    replayable = await makeReplayable(req);
  } catch (err) {
    return proxyError('bad-request', `request body could not be read: ${(err as Error).message}`);
  }
  if (replayable) return retrying(route, req, undefined);
  // A gRPC call's body has no declared length and may stream for long: it is recorded as it goes
  // out, and a retry happens only when the whole of it was small and had ended by then.
  if (!isGrpc(req)) return route.next(req);
  return retrying(route, req, recordBody(req));
}

/**
 * The first try; the retry loop starts only when its answer may be retried (most answers are final, and
 * then this costs no async frame, and no `then` when the next handler shows its answer as it comes).
 * With `recorded`, retries only while the recorded body can be sent again.
 */
function retrying(route: RouteRetry, req: ProxyRequest, recorded: (() => Buffer | undefined) | undefined): Promise<ProxyResponse> {
  const look = (response: ProxyResponse): ProxyResponse | Promise<ProxyResponse> => {
    if (req.cancellation.cancelled) return response;
    const delay = retryDelay(route.policy, route.on, req, response, 1);
    if (delay < 0) return response;
    // The retry starts after the callback that brought this answer, never inside it (as with a `then`).
    return Promise.resolve().then(() => retryLoop(route, req, recorded, response, delay));
  };
  return route.answering ? route.answering.answering(req, look) : route.next(req).then(look);
}

/** From an answer of try 1 that may be retried after `delay` ms: tries until an answer is final. */
async function retryLoop(
  route: RouteRetry,
  req: ProxyRequest,
  recorded: (() => Buffer | undefined) | undefined,
  response: ProxyResponse,
  delay: number,
): Promise<ProxyResponse> {
  const { policy, on, budget, next } = route;
  const cancellation = req.cancellation;
  for (let attempt = 2; ; attempt++) {
    if (recorded) {
      const body = recorded();
      if (body === undefined) return response;
      req.body = body;
      recorded = undefined;
    }
    if (!budget.tryRetry(performance.now())) return response;
    discardBody(response);
    req.outcome.retries++;
    if (delay > 0 && !(await sleep(delay, cancellation))) return response;
    response = await next(req);
    if (attempt >= policy.attempts || cancellation.cancelled) return response;
    delay = retryDelay(policy, on, req, response, attempt);
    if (delay < 0) return response;
  }
}
