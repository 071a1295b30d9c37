import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Cancellation } from '../http/cancellation.ts';
import { proxyError } from '../http/response.ts';
import { withoutHopByHop } from '../http/hop-by-hop.ts';
import type { HeaderMap } from '../http/headers.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { AnswerLook, ProxyRequest } from '../http/types.ts';
import type { EndpointState } from './endpoint.ts';
import { transportErrorReason, transportErrorResponse } from './errors.ts';
import { UpstreamBody, type BodyController } from '../http/response-body.ts';
import { deadlinesOf, type DeadlineQueue, type Timed } from './deadlines.ts';
import { H2Pool, type H2RequestOptions } from './h2-pool.ts';
import { forwardedResponseHeaders, trailersOf } from './response-head.ts';

/** A handler of undici's core: what its pools call for each request (the newer API is adapted to this one). */
interface UndiciCoreHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(rawTrailers: Buffer[] | null): void;
  onError(err: Error): void;
}

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
 * One attempt: resolves with the response head, then feeds the body into an UpstreamBody. Cancelling the
 * request (client gone, route timeout) aborts the attempt; so does the attempt's own per-try timeout,
 * which leaves the request itself alone (a retry may follow).
 *
 * To an undici pool it is a handler of undici's core (onConnect, onHeaders, ...), the calls undici makes
 * internally: a handler of the newer API (onRequestStart, onResponseStart, ...) is wrapped per request in
 * an adapter that allocates its own controller and turns the raw head into an object, which the proxy
 * would then copy again without the hop-by-hop headers. Here the raw head becomes the forwarded headers
 * in one pass, and the attempt is its body's pause/resume/abort handle itself. The HTTP/2 pool speaks the
 * newer API; H2Handler translates.
 */
class Attempt implements Timed, BodyController, UndiciCoreHandler {
  private body: UpstreamBody | undefined = undefined;
  private settled = false;
  private over = false;
  /** The per-try timeout's queue while the head is awaited (one timer per route, not one per attempt). */
  private deadlines: DeadlineQueue | undefined = undefined;
  deadlineAt = 0;
  previousTimed: Timed | undefined = undefined;
  nextTimed: Timed | undefined = undefined;
  /** How to stop the attempt upstream, once the pool has taken it (undici's abort, or the HTTP/2 stream's). */
  private abortUpstream: ((err: Error) => void) | undefined = undefined;
  private aborted = false;
  /** undici reads the socket again when told; the body pauses it while the client is slower. */
  private resumeUpstream: (() => void) | undefined = undefined;
  private paused = false;

  constructor(
    private readonly target: string,
    /** The request's cancellation (client gone, route timeout). */
    private readonly request: Cancellation,
    private readonly resolve: (response: ProxyResponse | Promise<ProxyResponse>) => void,
    private readonly reject: (err: unknown) => void,
    /** What the caller does with the answer before the promise settles (see sendToEndpoint). */
    private readonly answered: AnswerLook | undefined,
    headersTimeoutMs: number | undefined,
    /** Drop x-trellis-* from the answer: it did not come from a proxy over mutual TLS. */
    readonly dropTrellis: boolean,
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
    if (this.abortUpstream) this.abort(err);
    else this.failed(err);
  }

  // ---- the body's handle (BodyController) ----

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeUpstream?.();
  }

  abort(err: Error): void {
    if (this.aborted || !this.abortUpstream) return;
    this.aborted = true;
    this.abortUpstream(err);
  }

  // ---- what both pools report ----

  /** The pool took the attempt: `abort` stops it from now on. */
  started(abort: (err: Error) => void): void {
    this.abortUpstream = abort;
    // Stopped while it waited for a connection (per-try timeout, or the request was cancelled).
    if (this.over || this.request.cancelled) this.abort(new Error('request cancelled'));
  }

  /** The response head, already without hop-by-hop headers; `controller` pauses, resumes and aborts its body. */
  head(statusCode: number, headers: HeaderMap, controller: BodyController): void {
    // A head after the attempt already failed (a per-try timeout racing the answer): nobody waits for it.
    if (this.settled) return controller.abort(new Error('the attempt is already over'));
    this.release(true);
    this.body = new UpstreamBody(controller);
    this.settle({ status: statusCode, headers, body: this.body });
  }

  data(chunk: Buffer): void {
    this.body?.push(chunk);
  }

  ended(trailers: IncomingHttpHeaders | undefined): void {
    this.release(false);
    this.body?.complete(trailers);
  }

  failed(err: Error): void {
    this.release(false);
    if (this.body) this.body.fail(err, transportErrorReason(err));
    if (!this.settled) this.settle(transportErrorResponse(err, this.target));
  }

  private settle(response: ProxyResponse): void {
    this.settled = true;
    if (this.answered === undefined) return this.resolve(response);
    // Called from inside undici's callbacks: an exception must reach the caller, not abort undici's request.
    let result: ProxyResponse | Promise<ProxyResponse>;
    try {
      result = this.answered(response);
    } catch (err) {
      return this.reject(err);
    }
    this.resolve(result);
  }

  // ---- undici's core handler ----

  onConnect(abort: (err?: Error) => void): void {
    this.started(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx informational heads come first; the proxy does not relay them.
    if (statusCode < 200) return true;
    this.resumeUpstream = resume;
    this.head(statusCode, forwardedResponseHeaders(rawHeaders, this.dropTrellis), this);
    return !this.paused;
  }

  onData(chunk: Buffer): boolean {
    this.data(chunk);
    return !this.paused;
  }

  onComplete(rawTrailers: Buffer[] | null): void {
    this.ended(trailersOf(rawTrailers));
  }

  onError(err: Error): void {
    this.failed(err);
  }
}

/** An attempt as the HTTP/2 pool calls it (undici's newer handler API, with the stream's own controller). */
class H2Handler implements Dispatcher.DispatchHandler {
  constructor(private readonly attempt: Attempt) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.attempt.started((err) => controller.abort(err));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.attempt.head(statusCode, withoutHopByHop(headers, false, this.attempt.dropTrellis), controller);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.attempt.data(chunk);
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.attempt.ended(trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.attempt.failed(err);
  }
}

/**
 * Sends one attempt of `req` to `endpoint` over its keep-alive pool. Never rejects: transport failures
 * come back as proxy error responses carrying a FailureKind. Bodies stream; nothing is buffered here.
 * `answered`, when given, sees the answer first and the promise settles with what it returns (a response,
 * or a promise of one) or rejects with what it throws: the same as a `then`, without a second promise and
 * microtask per attempt.
 */
export function sendToEndpoint(
  endpoint: EndpointState,
  req: ProxyRequest,
  headers: HeaderMap,
  cancellation: Cancellation,
  timeouts: AttemptTimeouts,
  /** Over the endpoint's HTTP/2 session instead of its HTTP/1.1 pool (gRPC, HTTP/2 callers). */
  http2 = false,
  answered?: AnswerLook,
): Promise<ProxyResponse> {
  return new Promise((resolve, reject) => {
    // What undici's dispatch and the HTTP/2 pool both take.
    const options: H2RequestOptions = { path: req.url, method: req.method, headers, body: req.body };
    if (timeouts.bodyTimeoutMs !== undefined) options.bodyTimeout = timeouts.bodyTimeoutMs;
    const pool = http2 ? endpoint.http2() : endpoint.connections();
    if (!pool) {
      const refusal = proxyError('no-certificate', `${endpoint.key} takes only mutual TLS; waiting for a certificate from the control plane`, { failure: 'connect-failure' });
      resolve(answered ? answered(refusal) : refusal);
      return;
    }
    // Only another proxy, over mutual TLS, may answer with x-trellis-* headers; an app's are dropped.
    const attempt = new Attempt(endpoint.key, cancellation, resolve, reject, answered, timeouts.headersTimeoutMs, !endpoint.mtls);
    try {
      if (pool instanceof H2Pool) pool.dispatch(options, new H2Handler(attempt));
      else (pool as unknown as { dispatch(options: H2RequestOptions, handler: UndiciCoreHandler): unknown }).dispatch(options, attempt);
    } catch (err) {
      attempt.failed(err as Error);
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
