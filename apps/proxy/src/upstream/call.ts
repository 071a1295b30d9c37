import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Cancellation } from '../http/cancellation.ts';
import { proxyError } from '../http/response.ts';
import { withoutHopByHop } from '../http/hop-by-hop.ts';
import type { HeaderMap } from '../http/headers.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { ProxyRequest } from '../http/types.ts';
import type { EndpointState } from './endpoint.ts';
import { transportErrorReason, transportErrorResponse } from './errors.ts';
import { UpstreamBody } from '../http/response-body.ts';
import { deadlinesOf, type DeadlineQueue, type Timed } from './deadlines.ts';

export interface AttemptTimeouts {
  /**
   * Time allowed for the response head (the per-try timeout). Kept with a timer of our own (one per
   * length, upstream/deadlines.ts): undici's headersTimeout runs on a coarse 1 s clock, too coarse for
   * per-try timeouts of a few hundred ms.
   */
  headersTimeoutMs: number | undefined;
  /** Longest silence allowed inside the response body. */
  bodyTimeoutMs: number | undefined;
}

/**
 * One attempt as an undici dispatch handler: resolves with the response head, then feeds the body
 * into an UpstreamBody. Cancelling the request (client gone, route timeout) aborts the attempt; so does
 * the attempt's own per-try timeout, which leaves the request itself alone (a retry may follow).
 */
class Attempt implements Dispatcher.DispatchHandler, Timed {
  private controller: Dispatcher.DispatchController | undefined = undefined;
  private body: UpstreamBody | undefined = undefined;
  private settled = false;
  private over = false;
  /** The per-try timeout's queue while the head is awaited (one timer per route, not one per attempt). */
  private deadlines: DeadlineQueue | undefined = undefined;
  deadlineAt = 0;
  previousTimed: Timed | undefined = undefined;
  nextTimed: Timed | undefined = undefined;

  constructor(
    private readonly target: string,
    /** The request's cancellation (client gone, route timeout). */
    private readonly request: Cancellation,
    private readonly resolve: (response: ProxyResponse) => void,
    headersTimeoutMs: number | undefined,
    /** Drop x-trellis-* from the answer: it did not come from a proxy over mutual TLS. */
    private readonly dropTrellis: boolean,
  ) {
    if (headersTimeoutMs !== undefined) {
      this.deadlines = deadlinesOf(headersTimeoutMs);
      this.deadlines.add(this, performance.now());
    }
    request.onCancel(this.cancelled);
  }

  /** The attempt is over (or its head arrived): stop its deadline, and once over its cancellation listener. */
  private release(headOnly: boolean): void {
    if (this.deadlines !== undefined) {
      this.deadlines.remove(this);
      this.deadlines = undefined;
    }
    if (headOnly || this.over) return;
    this.over = true;
    this.request.offCancel(this.cancelled);
  }

  /** The per-try timeout ran out before the head came (called by the DeadlineQueue). */
  expire(): void {
    this.deadlines = undefined;
    this.stop('timeout');
  }

  private readonly cancelled = (): void => this.stop(this.request.reason ?? 'client-gone');

  private stop(why: 'client-gone' | 'timeout'): void {
    // A timeout is reported as one (504, retriable); a client that left gets nothing anyway.
    const err =
      why === 'timeout'
        ? Object.assign(new Error('no response head before the per-try timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })
        : Object.assign(new Error('request cancelled'), { code: 'UND_ERR_ABORTED' });
    if (this.controller) this.controller.abort(err);
    else this.onResponseError(undefined, err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Stopped while it waited for a connection (per-try timeout, or the request was cancelled).
    if (this.over || this.request.cancelled) controller.abort(new Error('request cancelled'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx informational heads come first; the proxy does not relay them.
    if (statusCode < 200) return;
    this.release(true);
    this.body = new UpstreamBody(controller);
    this.settled = true;
    this.resolve({ status: statusCode, headers: withoutHopByHop(headers, false, this.dropTrellis), body: this.body });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body?.push(chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.release(false);
    this.body?.complete(trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.release(false);
    if (this.body) this.body.fail(err, transportErrorReason(err));
    if (this.settled) return;
    this.settled = true;
    this.resolve(transportErrorResponse(err, this.target));
  }
}

/**
 * Sends one attempt of `req` to `endpoint` over its keep-alive pool. Never rejects: transport failures
 * come back as proxy error responses carrying a FailureKind. Bodies stream; nothing is buffered here.
 */
export function sendToEndpoint(
  endpoint: EndpointState,
  req: ProxyRequest,
  headers: HeaderMap,
  cancellation: Cancellation,
  timeouts: AttemptTimeouts,
  /** Over the endpoint's HTTP/2 session instead of its HTTP/1.1 pool (gRPC, HTTP/2 callers). */
  http2 = false,
): Promise<ProxyResponse> {
  return new Promise((resolve) => {
    const options: Dispatcher.DispatchOptions = {
      path: req.url,
      method: req.method as Dispatcher.HttpMethod,
      headers: headers as Record<string, string | string[]>,
      body: req.body,
    };
    if (timeouts.bodyTimeoutMs !== undefined) options.bodyTimeout = timeouts.bodyTimeoutMs;
    const pool = http2 ? endpoint.http2() : endpoint.connections();
    if (!pool) {
      resolve(proxyError('no-certificate', `${endpoint.key} takes only mutual TLS; waiting for a certificate from the control plane`, { failure: 'connect-failure' }));
      return;
    }
    // Only another proxy, over mutual TLS, may answer with x-trellis-* headers; an app's are dropped.
    const attempt = new Attempt(endpoint.key, cancellation, resolve, timeouts.headersTimeoutMs, !endpoint.mtls);
    try {
      // Either an undici pool or an HTTP/2 session: both take the same options and handler.
      (pool as { dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): unknown }).dispatch(options, attempt);
    } catch (err) {
      attempt.onResponseError(undefined, err as Error);
    }
  });
}

/** Throws away a response body that will not be forwarded (a retried attempt, a mirror, a late answer). */
export function discardBody(response: ProxyResponse): void {
  if (response.body instanceof UpstreamBody) response.body.discard();
}

/** Calls `listener` once the response is over: when its body ends, or at once when it has none. */
export function onResponseEnd(response: ProxyResponse, listener: () => void): void {
  if (response.body instanceof UpstreamBody) response.body.onClose(listener);
  else listener();
}
