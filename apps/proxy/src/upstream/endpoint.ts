import { createRequire } from 'node:module';
import type { Endpoint } from '@trellis/shared';
import type { Pool } from 'undici';
import type { ConnectionOptions } from 'node:tls';
import { mtlsConnector, mtlsOptions, type UpstreamTls } from './mtls-connector.ts';
import { H2Pool } from './h2-pool.ts';

// undici's Pool on its own: the package entry also loads fetch, WebSocket, caches and mocks, ~9 MB of
// RSS more in a process that never uses them. undici has no "exports" map, so the file is public.
const PoolClass = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof Pool;

/** How long an idle upstream connection is kept; below Node's 5 s server default so we close first. */
const KEEP_ALIVE_MS = 4_000;
/** Connect timeout: a mesh endpoint that does not accept within this is treated as down. */
const CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 300_000;

/**
 * One upstream endpoint and everything the proxy learns about it: its connection pool, requests in flight,
 * latency average and outlier state. It outlives snapshots, so a config push keeps connections and
 * ejections; only endpoints that leave the service are closed.
 */
export class EndpointState {
  readonly key: string;
  zone: string | undefined;
  labels: Record<string, string>;
  /** The endpoint's version label (telemetry reports which subset served a request). */
  version: string | undefined;
  /** Requests sent and not yet finished (least-request and EWMA balancers read it). */
  active = 0;
  /** Peak-EWMA of response time in ms, 0 until the first response, and when it was last updated (balancer/ewma.ts). */
  ewmaMs = 0;
  ewmaAt = 0;
  // Outlier detection state (upstream/outlier.ts writes it).
  consecutiveErrors = 0;
  ejectedUntil = 0;
  ejectionCount = 0;
  /** The SPIFFE ID the endpoint must present; set means every connection to it is mutual TLS. */
  identity: string | undefined;
  private pool: Pool | undefined;
  /** The identity generation the pool's connections were made with. */
  private poolGeneration = -1;
  /** The HTTP/2 connections (gRPC, and HTTP/2 callers to another proxy), made on first use. */
  private h2: H2Pool | undefined;
  private h2Generation = -1;

  constructor(
    readonly address: string,
    readonly port: number,
    private connectionLimit: number | null,
    meta: Pick<Endpoint, 'zone' | 'labels' | 'identity'> = { labels: {} },
    /** The workload's identity, for endpoints that speak mutual TLS. */
    private readonly tls?: UpstreamTls,
  ) {
    this.key = `${address}:${port}`;
    this.zone = meta.zone;
    this.labels = meta.labels;
    this.version = meta.labels.version;
    this.identity = meta.identity;
  }

  /** Updates what discovery may change without replacing the endpoint (zone, labels, identity). */
  update(meta: Pick<Endpoint, 'zone' | 'labels' | 'identity'>, connectionLimit: number | null): void {
    this.zone = meta.zone;
    this.labels = meta.labels;
    this.version = meta.labels.version;
    // A new connection cap or a new identity to check needs a new pool.
    if (connectionLimit !== this.connectionLimit || meta.identity !== this.identity) {
      this.connectionLimit = connectionLimit;
      this.identity = meta.identity;
      this.retirePool();
      this.retireH2();
    }
  }

  /**
   * True when every request to this mTLS endpoint (another proxy) goes over its HTTP/2 session, as
   * linkerd2-proxy carries HTTP/1 between proxies: a cancelled request is a stream reset, not a closed
   * connection and a new handshake. A node agent does this: under load at N = 100 its HTTP/1.1 pools
   * spiralled on handshakes (docs/BENCHMARKS.md); a sidecar keeps HTTP/1.1, 40 % cheaper in CPU per
   * request while nothing is cancelled.
   */
  get meshHttp2(): boolean {
    return this.identity !== undefined && this.tls?.http2Between === true;
  }

  /** True when requests to this endpoint go over mutual TLS. */
  get mtls(): boolean {
    return this.identity !== undefined;
  }

  /** False while outlier detection has it ejected. */
  isAvailable(now: number): boolean {
    return this.ejectedUntil <= now;
  }

  /**
   * The keep-alive connection pool to this endpoint, created on first use; for an mTLS endpoint, made
   * again after the workload's certificate or trust bundle changed (the old pool finishes its requests).
   * Undefined when the endpoint needs mTLS and the workload has no certificate yet.
   */
  connections(): Pool | undefined {
    const identity = this.identity;
    if (identity === undefined) {
      this.pool ??= new PoolClass(`http://${this.key}`, this.poolOptions());
      return this.pool;
    }
    const tls = this.tls;
    if (this.pool && this.poolGeneration === tls?.generation) return this.pool;
    this.retirePool();
    const context = tls?.clientContext();
    if (!tls || !context) return undefined;
    this.poolGeneration = tls.generation;
    this.pool = new PoolClass(`https://${this.key}`, { ...this.poolOptions(), connect: mtlsConnector(context, identity, tls.handshakes, CONNECT_TIMEOUT_MS) });
    return this.pool;
  }

  /**
   * The HTTP/2 connections to this endpoint (h2c, or mutual TLS with ALPN h2), like connections(): made
   * again after the certificate or bundle changed; undefined when it needs mTLS and there is no certificate.
   */
  http2(): H2Pool | undefined {
    const identity = this.identity;
    if (identity === undefined) {
      this.h2 ??= new H2Pool({ host: this.address, port: this.port, maxSessions: this.connectionLimit });
      return this.h2;
    }
    const tls = this.tls;
    if (this.h2 && this.h2Generation === tls?.generation) return this.h2;
    this.retireH2();
    const context = tls?.clientContext();
    if (!tls || !context) return undefined;
    this.h2Generation = tls.generation;
    this.h2 = new H2Pool({ host: this.address, port: this.port, maxSessions: this.connectionLimit, tls: { context, expected: identity, handshakes: tls.handshakes } });
    return this.h2;
  }

  /**
   * How a raw connection (a WebSocket tunnel) reaches this endpoint: undefined for plain TCP, TLS
   * options for an mTLS endpoint, or null when it needs mTLS and the workload has no certificate yet.
   */
  tunnelTls(): ConnectionOptions | undefined | null {
    if (this.identity === undefined) return undefined;
    const context = this.tls?.clientContext();
    return context ? mtlsOptions(context, this.identity) : null;
  }

  private poolOptions(): Pool.Options {
    return {
      connections: this.connectionLimit,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Without a TimeoutPolicy: 5 minutes for the response head, and for silence inside a body.
      headersTimeout: DEFAULT_UPSTREAM_TIMEOUT_MS,
      bodyTimeout: DEFAULT_UPSTREAM_TIMEOUT_MS,
    };
  }

  /** The current pool finishes what it carries, then closes; the next request makes a new one. */
  private retirePool(): void {
    const old = this.pool;
    this.pool = undefined;
    void old?.close().catch(() => undefined);
  }

  private retireH2(): void {
    const old = this.h2;
    this.h2 = undefined;
    void old?.close();
  }

  /**
   * Retires the endpoint (it left the service): balancers stop picking it, requests in flight finish,
   * then the connections close. A chain from the previous snapshot that still holds it gets a closed
   * pool (a fast, retriable failure) rather than a new connection.
   */
  async close(): Promise<void> {
    this.ejectedUntil = Infinity;
    await Promise.all([this.pool?.close().catch(() => undefined), this.h2?.close()]);
  }

  /** Closes the connections now, failing whatever is in flight (used when a drain deadline passes). */
  async destroy(): Promise<void> {
    this.ejectedUntil = Infinity;
    this.h2?.destroy();
    await this.pool?.destroy().catch(() => undefined);
  }
}
