import type { IncomingMessage } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import { Cancellation } from './cancellation.ts';
import { firstValue, type HeaderMap } from './headers.ts';
import type { ReasonCode } from './reasons.ts';
import type { ProxyResponse } from './response.ts';
import type { TraceContext } from './trace-context.ts';
import type { EndpointSet } from '../balancer/endpoint-set.ts';
import type { EndpointState } from '../upstream/endpoint.ts';

/**
 * One request travelling through a chain. A plain class with every field declared up front, so V8 keeps
 * one hidden class on the hot path; filters write what they learn (route, version, flags) for telemetry.
 */
export class ProxyRequest {
  /** Headers to forward: a copy of the client's, hop-by-hop ones already removed. Filters may edit it. */
  headers: HeaderMap;
  /** The request body: the client's stream, a buffered copy (retries, mirroring), or none. */
  body: Readable | Buffer | null;
  /** "name.namespace" of the calling service, or "external" for callers outside the mesh. */
  source = 'external';
  /** Inbound: the caller's SPIFFE ID, verified by mutual TLS (undefined: no mesh identity). */
  identity: string | undefined = undefined;
  /**
   * Outbound: whether the attempt that answered went over mutual TLS; undefined when no attempt reached an
   * endpoint (the proxy answered itself), so such answers count towards neither transport.
   */
  mtls: boolean | undefined = undefined;
  /** Outbound: endpoints an earlier attempt of this request failed on; retries go elsewhere when they can. */
  failedEndpoints: EndpointState[] | undefined = undefined;
  /** Service the request is for ("name.namespace"); set by the outbound router or from the workload. */
  destination = '';
  route = 'unmatched';
  /** The version label of the endpoint that answered (outbound), for per-version telemetry. */
  version: string | undefined = undefined;
  /** Address and port of the endpoint that answered. */
  upstream: string | undefined = undefined;
  /** For an upgrade (WebSocket) to an mTLS endpoint: how to open the tunnel's TLS connection. */
  upstreamTls: ConnectionOptions | undefined = undefined;
  retries = 0;
  /**
   * Tries sent to an endpoint (outbound, retries included) or to the app (inbound), and how many of them
   * failed (5xx or no answer): the edge's actual success rate, before retries hid the failures.
   */
  attempts = 0;
  failedAttempts = 0;
  rateLimited = false;
  cache: 'HIT' | 'MISS' | undefined = undefined;
  ejections = 0;
  trace: TraceContext | undefined = undefined;
  /** The split backend chosen for this request (its name), when a TrafficSplit applies. */
  subset: string | undefined = undefined;
  /** Endpoints the split filter narrowed the request to (undefined: all of the service's endpoints). */
  targets: EndpointSet | undefined = undefined;
  /** Per-try timeout the retry filter sets for each attempt. */
  tryTimeoutMs: number | undefined = undefined;
  /** Longest silence allowed inside the upstream response body (TimeoutPolicy idle). */
  idleTimeoutMs: number | undefined = undefined;
  /** A gRPC call's grpc-status once its response is over (the listener reads it); undefined for other requests. */
  grpcStatus: number | undefined = undefined;
  /** Why the upstream response body broke off after its head (the listener reads it when the response is over). */
  bodyFailure: ReasonCode | undefined = undefined;
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

/** Wraps `terminal` in the middlewares, the first one outermost; null entries (filters with no config) are skipped. */
export function compose(middlewares: ReadonlyArray<Middleware | null>, terminal: Handler): Handler {
  let handler = terminal;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const m = middlewares[i];
    if (m) handler = m(handler);
  }
  return handler;
}
