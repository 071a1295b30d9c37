import type { IncomingMessage } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import { Cancellation } from './cancellation.ts';
import { firstValue, type HeaderMap } from './headers.ts';
import type { ReasonCode } from './reasons.ts';
import type { ProxyResponse } from './response.ts';
import type { TraceContext } from './trace-context.ts';

/**
 * Where a request goes: the service and route the router matched, and the split backend when a
 * TrafficSplit chose one. Built once per snapshot (chain.ts) and shared by every request that takes
 * it, so routing allocates nothing per request. Written by the router, then by the split; read by
 * telemetry and error messages.
 */
export interface RouteChoice {
  /** "name.namespace" of the service the request is for (inbound: this workload); "" before routing. */
  readonly destination: string;
  /** The matched route's name ("default" is the catch-all); "unmatched" when no route matched. */
  readonly name: string;
  /** The split backend chosen for the request (its name), when a TrafficSplit applies. */
  readonly subset?: string;
}

/** A request no router has placed yet (or one the proxy refused before routing). */
export const UNROUTED: RouteChoice = { destination: '', name: 'unmatched' };

/**
 * What happened to a request, as telemetry (edges, spans) and the listener read it once the response is
 * over. Each field has one writer, named on it; nothing in the chain reads another filter's field to
 * decide what to do, except the endpoint call reading its own `failedEndpoints` on a retry.
 */
export class Outcome {
  /** Retries sent after the first attempt. Writer: the retry filter. */
  retries = 0;
  /**
   * Tries sent to an endpoint (outbound, retries included) or to the app (inbound), and how many of them
   * failed (5xx or no answer): the edge's actual success rate, before retries hid the failures.
   * Writers: the endpoint call (outbound), the app call (inbound).
   */
  attempts = 0;
  failedAttempts = 0;
  /** How many endpoints this request's failed attempts got ejected (outlier detection). Writer: the endpoint call. */
  ejections = 0;
  /** Address and port of the endpoints whose attempts failed; a retry goes elsewhere when it can. Writer: the endpoint call. */
  failedEndpoints: string[] | undefined = undefined;
  /**
   * Refused by a rate limiter. Writers: the rate-limit filter (inbound, this proxy's limiter); the endpoint
   * call (outbound: the destination's proxy's limiter refused the last attempt).
   */
  rateLimited = false;
  /** Answered from the response cache (HIT) or stored into it (MISS). Writer: the cache filter. */
  cache: 'HIT' | 'MISS' | undefined = undefined;
  /**
   * Address and port of the endpoint (or local app) that answered. Writers: the endpoint call, the app call,
   * and the upgrade checks (chain.ts), where it names the endpoint the tunnel goes to.
   */
  upstream: string | undefined = undefined;
  /** For an upgrade (WebSocket) to an mTLS endpoint: how to open the tunnel's TLS connection. Writer: the outbound upgrade check. */
  upstreamTls: ConnectionOptions | undefined = undefined;
  /** The version label of the endpoint that answered (outbound), for per-version telemetry. Writer: the endpoint call. */
  version: string | undefined = undefined;
  /**
   * Outbound: whether the attempt that answered went over mutual TLS; undefined when no attempt reached an
   * endpoint (the proxy answered itself), so such answers count towards neither transport. Writers: the
   * endpoint call, the outbound upgrade check.
   */
  mtls: boolean | undefined = undefined;
  /** A gRPC call's grpc-status once its response is over; undefined for other requests. Writer: the listener. */
  grpcStatus: number | undefined = undefined;
  /** Why the upstream response body broke off after its head. Writer: the listener, when the response is over. */
  bodyFailure: ReasonCode | undefined = undefined;
}

/**
 * One request travelling through a chain, and who writes what on it:
 * - as received (the listener): incoming, method, url, path, startedAt, cancellation; never changed;
 * - the message forwarded upstream: headers and body, which filters edit in chain order;
 * - who calls (the request-context filter, once): source, identity, trace;
 * - where it goes (the router, then the split): route;
 * - what happened (one writer per field, see Outcome): outcome, read by telemetry.
 * Per-attempt limits (per-try and idle timeouts) are not on the request: they are fixed per route and
 * given to the endpoint call when the chain is built (chain.ts).
 * A plain class with every field declared up front, so V8 keeps one hidden class on the hot path.
 */
export class ProxyRequest {
  /** Headers to forward: a copy of the client's, hop-by-hop ones already removed. Filters may edit it. */
  headers: HeaderMap;
  /** The request body: the client's stream, a buffered copy (retries, mirroring), or none. */
  body: Readable | Buffer | null;
  /** "name.namespace" of the calling service, or "external" for callers outside the mesh. Writer: request context. */
  source = 'external';
  /** Inbound: the caller's SPIFFE ID, verified by mutual TLS (undefined: no mesh identity). Writer: request context. */
  identity: string | undefined = undefined;
  /** The request's trace context (its server span inbound). Writer: request context. */
  trace: TraceContext | undefined = undefined;
  /** Where the request goes. Writers: the router, then the split. */
  route: RouteChoice = UNROUTED;
  /** What happened to the request, for telemetry. */
  readonly outcome = new Outcome();
  /** Fires when the client goes away before its response is complete, or when the request times out. */
  readonly cancellation = new Cancellation();
  /** performance.now() at arrival. */
  readonly startedAt: number;
  private pathCache: string | undefined = undefined;

  constructor(
    readonly incoming: IncomingMessage,
    readonly method: string,
    /** Path and query exactly as received. */
    readonly url: string,
    headers: HeaderMap,
    body: Readable | null,
    startedAt: number,
  ) {
    this.headers = headers;
    this.body = body;
    this.startedAt = startedAt;
  }

  /** The path without its query string. */
  get path(): string {
    if (this.pathCache === undefined) {
      const q = this.url.indexOf('?');
      this.pathCache = q === -1 ? this.url : this.url.slice(0, q);
    }
    return this.pathCache;
  }

  header(name: string): string | undefined {
    return firstValue(this.headers[name]);
  }
}

export type Handler = (req: ProxyRequest) => Promise<ProxyResponse>;
export type Middleware = (next: Handler) => Handler;

/** What a filter does with an answer as it comes: the response it passes on, or a promise of one. */
export type AnswerLook = (response: ProxyResponse) => ProxyResponse | Promise<ProxyResponse>;

/**
 * A handler that shows its answer to the filter in front of it as the answer comes:
 * `handler.answering(req, look)` settles with what `look` returns, as `handler(req).then(look)` would,
 * without a second promise and microtask turn per request. The endpoint call is one (it hands the answer
 * over inside the attempt's own callback); the retry filter uses it when the endpoint call is its next.
 */
export interface AnsweringHandler extends Handler {
  answering(req: ProxyRequest, look: AnswerLook): Promise<ProxyResponse>;
}

/** True for a handler that can show its answer as it comes (see AnsweringHandler). */
export function isAnswering(handler: Handler): handler is AnsweringHandler {
  return typeof (handler as Partial<AnsweringHandler>).answering === 'function';
}

/** Wraps `terminal` in the middlewares, the first one outermost; null entries (filters with no config) are skipped. */
export function compose(middlewares: ReadonlyArray<Middleware | null>, terminal: Handler): Handler {
  let handler = terminal;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const m = middlewares[i];
    if (m) handler = m(handler);
  }
  return handler;
}
