import { LATENCY_BUCKETS_MS, latencyBucket, type EdgeDelta } from '@trellis/shared';
import { isGrpcServerError } from '../http/grpc.ts';
import type { ProxyRequest } from '../http/types.ts';

/** Prometheus histogram bounds (seconds) for trellis_request_duration_seconds. */
export const PROM_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
const PROM_BUCKETS_MS = PROM_BUCKETS_S.map((s) => s * 1000);
const CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
const MAX_INBOUND_SOURCES = 1000;
/** gRPC method labels kept per peer; calls of further methods count under their route's name. */
const MAX_GRPC_METHODS = 100;
/** /pkg.Service/Method, short enough for a route label. */
const GRPC_METHOD = /^\/[A-Za-z_][\w.]{0,120}\/[A-Za-z_]\w{0,120}$/;
/** grpc-status UNIMPLEMENTED: the server knows no such method, so it gets no label of its own. */
const UNIMPLEMENTED = 12;
/** The destination of requests whose Host names no known service. */
export const UNKNOWN_DESTINATION = 'unknown';

/** Cumulative latency of one status class, kept for Prometheus. */
export interface ClassHistogram {
  /** Counts per PROM_BUCKETS_S bound (not cumulative; the +Inf bucket is the last slot). */
  buckets: Float64Array;
  sumSeconds: number;
  count: number;
}

/** How one request went, besides its status and duration. */
export interface EdgeOutcome {
  retries: number;
  rateLimited: boolean;
  cacheHit: boolean;
  ejections: number;
  /** Over mutual TLS or in the clear; undefined when nothing was sent (the proxy answered itself). */
  mtls: boolean | undefined;
  attempts: number;
  failedAttempts: number;
  /** A gRPC call's grpc-status (undefined for other requests). */
  grpcStatus?: number | undefined;
  /** Why the upstream body broke off after the head, if it did. */
  bodyFailure?: string | undefined;
}

/**
 * Counters for one edge (source -> destination, route, version, side). The hot path only bumps numbers;
 * Prometheus reads the cumulative ones at scrape time and the reporter takes the interval ones each second.
 */
export class EdgeStats {
  /** Cumulative requests by exact status code. */
  readonly codes = new Map<number, number>();
  /** Cumulative gRPC calls by grpc-status (their HTTP status is 200 whatever happened). */
  readonly grpcCodes = new Map<number, number>();
  private intervalGrpc: Map<number, number> | undefined = undefined;
  /** Cumulative responses whose upstream body broke off after the head, by reason (idle-timeout, ...). */
  readonly cuts = new Map<string, number>();
  readonly byClass: Array<ClassHistogram | undefined> = [undefined, undefined, undefined, undefined];
  retries = 0;
  rateLimited = 0;
  cacheHits = 0;
  ejections = 0;
  /** Requests sent over mutual TLS (outbound) or received over it (inbound). */
  mtls = 0;
  /** Requests sent or received in the clear. Answers the proxy made itself count in neither. */
  plain = 0;
  /** Tries sent to an endpoint or the app (retries included), and those that failed (5xx or no answer). */
  attempts = 0;
  failedAttempts = 0;
  // Interval counters, zeroed by takeDelta().
  private readonly intervalCodes = [0, 0, 0, 0];
  private readonly intervalLatency = new Float64Array(LATENCY_BUCKETS_MS.length);
  private intervalRetries = 0;
  private intervalRateLimited = 0;
  private intervalEjections = 0;
  private intervalMtls = 0;
  private intervalPlain = 0;
  private intervalAttempts = 0;
  private intervalFailedAttempts = 0;
  private dirty = false;

  constructor(
    readonly source: string,
    readonly destination: string,
    readonly route: string,
    readonly version: string | undefined,
    readonly side: 'inbound' | 'outbound',
  ) {}

  record(status: number, durationMs: number, o: EdgeOutcome): void {
    const { retries, ejections, mtls } = o;
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    // A gRPC call that failed on the server's side (UNAVAILABLE, INTERNAL, ...) is an HTTP 200 on the
    // wire; it counts as the 5xx it stands for, so success rates (and the graph's colours) see it.
    const cls = isGrpcServerError(o.grpcStatus) ? 3 : Math.min(3, Math.max(0, ((status / 100) | 0) - 2));
    let h = this.byClass[cls];
    if (!h) {
      h = { buckets: new Float64Array(PROM_BUCKETS_MS.length + 1), sumSeconds: 0, count: 0 };
      this.byClass[cls] = h;
    }
    let b = 0;
    while (b < PROM_BUCKETS_MS.length && durationMs > (PROM_BUCKETS_MS[b] ?? Infinity)) b++;
    h.buckets[b] = (h.buckets[b] ?? 0) + 1;
    h.sumSeconds += durationMs / 1000;
    h.count++;
    this.intervalCodes[cls] = (this.intervalCodes[cls] ?? 0) + 1;
    const fine = latencyBucket(durationMs);
    this.intervalLatency[fine] = (this.intervalLatency[fine] ?? 0) + 1;
    if (retries > 0) {
      this.retries += retries;
      this.intervalRetries += retries;
    }
    if (o.rateLimited) {
      this.rateLimited++;
      this.intervalRateLimited++;
    }
    if (o.cacheHit) this.cacheHits++;
    if (o.attempts > 0) {
      this.attempts += o.attempts;
      this.intervalAttempts += o.attempts;
      this.failedAttempts += o.failedAttempts;
      this.intervalFailedAttempts += o.failedAttempts;
    }
    if (ejections > 0) {
      this.ejections += ejections;
      this.intervalEjections += ejections;
    }
    const grpc = o.grpcStatus;
    if (grpc !== undefined) {
      this.grpcCodes.set(grpc, (this.grpcCodes.get(grpc) ?? 0) + 1);
      const interval = (this.intervalGrpc ??= new Map());
      interval.set(grpc, (interval.get(grpc) ?? 0) + 1);
    }
    if (o.bodyFailure !== undefined) this.cuts.set(o.bodyFailure, (this.cuts.get(o.bodyFailure) ?? 0) + 1);
    if (mtls === true) {
      this.mtls++;
      this.intervalMtls++;
    } else if (mtls === false) {
      this.plain++;
      this.intervalPlain++;
    }
    this.dirty = true;
  }

  /** What happened since the last call, or undefined when nothing did. */
  takeDelta(): EdgeDelta | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    const latency: Record<string, number> = {};
    const fine = this.intervalLatency;
    for (let i = 0; i < fine.length; i++) {
      const n = fine[i] ?? 0;
      if (n > 0) latency[i] = n;
    }
    fine.fill(0);
    const [c2 = 0, c3 = 0, c4 = 0, c5 = 0] = this.intervalCodes;
    const delta: EdgeDelta = {
      source: this.source,
      destination: this.destination,
      route: this.route,
      side: this.side,
      codes: { '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
      latency,
      retries: this.intervalRetries,
      rateLimited: this.intervalRateLimited,
      ejections: this.intervalEjections,
      mtls: this.intervalMtls,
      plain: this.intervalPlain,
      attempts: this.intervalAttempts,
      failedAttempts: this.intervalFailedAttempts,
    };
    if (this.version !== undefined) delta.version = this.version;
    if (this.intervalGrpc) {
      delta.grpc = Object.fromEntries([...this.intervalGrpc].map(([code, n]) => [String(code), n]));
      this.intervalGrpc = undefined;
    }
    this.intervalCodes.fill(0);
    this.intervalRetries = 0;
    this.intervalRateLimited = 0;
    this.intervalEjections = 0;
    this.intervalMtls = 0;
    this.intervalPlain = 0;
    this.intervalAttempts = 0;
    this.intervalFailedAttempts = 0;
    return delta;
  }

  /** Whether this edge belongs in the request counters: the caller's side, or callers outside the mesh. */
  get reported(): boolean {
    return this.side === 'outbound' || this.source === 'external';
  }
}

export const statusClassName = (index: number): string => CLASSES[index] ?? 'other';

/**
 * The edges of one workload, found by nested maps (peer, route, version) so a lookup allocates nothing.
 * Edges live as long as the process: Prometheus counters must not go backwards on a config push.
 */
export class EdgeTable {
  private readonly outbound = new Map<string, Map<string, Map<string, EdgeStats>>>();
  private readonly inbound = new Map<string, Map<string, EdgeStats>>();
  /** The gRPC methods given a label of their own, per destination ("" for this workload's inbound side). */
  private readonly grpcMethods = new Map<string, Set<string>>();
  readonly list: EdgeStats[] = [];

  constructor(
    /** This workload, "name.namespace". */
    readonly self: string,
    private readonly selfVersion: string | undefined,
  ) {}

  /**
   * The route a finished request is counted under: its route's name, except that a gRPC call on the
   * catch-all "default" route counts under its method (/pkg.Service/Method), so each method has its own
   * figures. Bounded per destination, and a method its server does not know (UNIMPLEMENTED) gets no label.
   */
  routeLabel(destination: string, req: ProxyRequest): string {
    const status = req.outcome.grpcStatus;
    const route = req.route.name;
    if (status === undefined || route !== 'default' || !GRPC_METHOD.test(req.path)) return route;
    let methods = this.grpcMethods.get(destination);
    if (!methods) this.grpcMethods.set(destination, (methods = new Set()));
    if (methods.has(req.path)) return req.path;
    if (status === UNIMPLEMENTED || methods.size >= MAX_GRPC_METHODS) return route;
    methods.add(req.path);
    return req.path;
  }

  outboundEdge(destination: string, route: string, version: string | undefined): EdgeStats {
    let byRoute = this.outbound.get(destination);
    if (!byRoute) this.outbound.set(destination, (byRoute = new Map()));
    let byVersion = byRoute.get(route);
    if (!byVersion) byRoute.set(route, (byVersion = new Map()));
    const v = version ?? '';
    let edge = byVersion.get(v);
    if (!edge) {
      edge = new EdgeStats(this.self, destination, route, version, 'outbound');
      byVersion.set(v, edge);
      this.list.push(edge);
    }
    return edge;
  }

  inboundEdge(source: string, route: string): EdgeStats {
    // Callers are named by their certificates; cap the distinct names all the same, so no caller can grow memory forever.
    if (this.inbound.size >= MAX_INBOUND_SOURCES && !this.inbound.has(source)) source = 'other';
    let byRoute = this.inbound.get(source);
    if (!byRoute) this.inbound.set(source, (byRoute = new Map()));
    let edge = byRoute.get(route);
    if (!edge) {
      edge = new EdgeStats(source, this.self, route, this.selfVersion, 'inbound');
      byRoute.set(route, edge);
      this.list.push(edge);
    }
    return edge;
  }

  /**
   * The interval deltas of every edge the control plane should hear about. Requests for a Host no
   * service answers to (destination "unknown") stay in /metrics but are not an edge of the mesh graph.
   */
  takeDeltas(): EdgeDelta[] {
    const out: EdgeDelta[] = [];
    for (const edge of this.list) {
      const delta = edge.takeDelta();
      if (delta && edge.reported && edge.destination !== UNKNOWN_DESTINATION) out.push(delta);
    }
    return out;
  }
}
