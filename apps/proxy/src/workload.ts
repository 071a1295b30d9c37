import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { EdgeDelta, Snapshot, Span } from '@trellis/shared';
import type { StreamClient } from '@trellis/stream-client';
import { UPGRADE_ALLOWED, type ChainDeps } from './chain.ts';
import { acceptSnapshot, buildActiveConfig, type ActiveConfig, type AppliedConfig } from './active-config.ts';
import { readConfigFile } from './config/config-file.ts';
import { CacheRegistry } from './cache/registry.ts';
import { withoutHopByHop } from './http/hop-by-hop.ts';
import { Listener, type ClientLimits } from './http/listener.ts';
import { peerIdentityOf } from './http/inbound-tls.ts';
import { WorkloadIdentity } from './identity/workload-identity.ts';
import { HandshakeCounters } from './identity/handshakes.ts';
import { proxyError } from './http/response.ts';
import type { ProxyResponse } from './http/response.ts';
import { ProxyRequest, type Handler } from './http/types.ts';
import { APP_PROBE_FAILURES, DEFAULT_APP_PROBE, DEFAULT_APP_PROBE_INTERVAL_MS, PROXY_VERSION, type WorkloadOptions } from './options.ts';
import { AppProbe } from './upstream/app-probe.ts';
import { LimiterRegistry, type Limiter } from './ratelimit/registry.ts';
import { DeltaSum } from './telemetry/delta-sum.ts';
import { EdgeTable, UNKNOWN_DESTINATION, type EdgeOutcome } from './telemetry/edges.ts';
import type { MetricsSource } from './telemetry/metrics.ts';
import { TelemetryReporter } from './telemetry/reporter.ts';
import { Tracer } from './telemetry/tracer.ts';
import { ColdStarts } from './upstream/cold-start.ts';
import type { EndpointState } from './upstream/endpoint.ts';
import { localApp, UpstreamRegistry, type UpstreamService } from './upstream/service.ts';
import { tunnel } from './upstream/tunnel.ts';
import { ticks } from './ticks.ts';
import { writeRawResponse } from './http/raw-response.ts';

/**
 * single: the whole proxy in this process (the default). With --workers N (workers/), the primary process
 * keeps the config source, identity, app probe and telemetry to the control plane but binds no listener;
 * each worker process serves the listeners with the snapshot and identity the primary sends it.
 */
export type WorkloadRole = 'single' | 'primary' | 'worker';

const NOTHING_COUNTED: EdgeOutcome = {
  retries: 0,
  rateLimited: false,
  cacheHit: false,
  ejections: 0,
  mtls: undefined,
  attempts: 0,
  failedAttempts: 0,
  grpcStatus: undefined,
  bodyFailure: undefined,
};
const NOT_READY = (): Promise<ProxyResponse> => Promise.resolve(proxyError('not-ready', 'waiting for a snapshot from the control plane'));

/**
 * One workload's proxy: its inbound and outbound listeners, the snapshot in force, the state that
 * outlives snapshots (upstream pools and health, rate limiters, caches, telemetry) and its config source
 * (a control-plane stream, or a file).
 */
export class Workload implements MetricsSource {
  readonly self: string;
  readonly edges: EdgeTable;
  readonly tracer: Tracer;
  instance = '';
  ports: { inbound?: number; outbound: number } = { outbound: 0 };
  /** The snapshot in force, with its chains (every role but the primary, which serves no request). */
  private active: ActiveConfig | undefined;
  /** The snapshot in force (the primary keeps only this). */
  private applied: AppliedConfig | undefined;
  private readonly app: UpstreamService | undefined;
  /**
   * What chains are built from (pools, rate limiters, caches, held requests); none in the primary of
   * --workers N: it builds no chain, so it opens no pool and no Redis connection for a global rate limit.
   */
  private readonly deps: ChainDeps | undefined;
  private readonly inbound: Listener | undefined;
  private readonly outbound: Listener | undefined;
  private stream: StreamClient | undefined;
  private reporter: TelemetryReporter | undefined;
  /** The mesh identity (certificate, trust bundle) when config comes from a control plane; none with --config. */
  readonly identity: WorkloadIdentity | undefined;
  /** Whether the local app answers (a sidecar's readiness probe); undefined without an app. */
  readonly appProbe: AppProbe | undefined;
  readonly inboundHandshakes = new HandshakeCounters();
  /** Requests held for services scaled to zero (ScaleToZeroPolicy); none in the primary. */
  readonly coldStarts: ColdStarts | undefined;
  readonly outboundHandshakes = new HandshakeCounters();
  /** Primary only: the edge deltas its workers sent, summed until the next report. */
  private readonly fromWorkers: DeltaSum | undefined;
  /**
   * What a finished request adds to its edge, refilled for each request of one side: record() reads it
   * and keeps nothing, so one object per side does instead of one per request. Inbound requests are
   * never retried nor eject anything; outbound ones never come from the cache.
   */
  private readonly inboundCounted: EdgeOutcome = { ...NOTHING_COUNTED };
  private readonly outboundCounted: EdgeOutcome = { ...NOTHING_COUNTED };
  /** Called after each snapshot is swapped in (the primary passes it on to its workers). */
  onApplied: ((snapshot: Snapshot, source: AppliedConfig['source']) => void) | undefined;

  constructor(
    readonly options: WorkloadOptions,
    private readonly shared: {
      controlPlane?: string;
      limits: ClientLimits;
      log: (line: string) => void;
      /** A node agent's: every request to another proxy over HTTP/2 (EndpointState.meshHttp2). */
      http2Between?: boolean;
      /** The most finished spans held for the control plane (a worker: about a second of its share). */
      spanBufferLimit?: number;
      /** The most spans kept per second (a worker: its share of what the primary sends). */
      spansPerSecond?: number;
    },
    readonly role: WorkloadRole = 'single',
  ) {
    this.self = `${options.service}.${options.namespace}`;
    this.edges = new EdgeTable(this.self, options.labels.version);
    this.tracer = new Tracer(this.self, shared.spanBufferLimit, shared.spansPerSecond);
    const log = (line: string) => shared.log(`${this.self}: ${line}`);
    this.fromWorkers = role === 'primary' ? new DeltaSum() : undefined;
    this.appProbe =
      options.appPort === undefined || role === 'worker'
        ? undefined
        : new AppProbe({
            port: options.appPort,
            spec: options.appProbe ?? DEFAULT_APP_PROBE,
            intervalMs: options.appProbeIntervalMs ?? DEFAULT_APP_PROBE_INTERVAL_MS,
            failureThreshold: APP_PROBE_FAILURES,
          });
    this.appProbe?.on('change', (ready: boolean, reason: string | undefined) => {
      log(ready ? 'the app answers its probe again: ready' : `the app does not answer its probe (${reason ?? '?'}): not ready, its endpoint leaves the service`);
    });
    const identity =
      options.configFile === undefined
        ? new WorkloadIdentity({ token: options.token, serviceAccountTokenFile: options.serviceAccountTokenFile, initialRoots: options.initialRoots, log })
        : undefined;
    this.identity = identity;
    // The primary of --workers N serves no request: no listener, chain, pool, rate limiter or cache.
    if (role === 'primary') return;
    this.app = options.appPort === undefined ? undefined : localApp(options.appPort);
    const appEndpoint: EndpointState | undefined = this.app?.list[0];
    const outboundHandshakes = this.outboundHandshakes;
    const coldStarts = new ColdStarts();
    this.coldStarts = coldStarts;
    this.deps = {
      self: this.self,
      namespace: options.namespace,
      zone: options.zone,
      app: appEndpoint,
      appProtocol: options.appProtocol ?? 'http1',
      upstreams: new UpstreamRegistry(
        identity && {
          get generation() {
            return identity.generation;
          },
          clientContext: () => identity.secureContext(),
          handshakes: outboundHandshakes,
          http2Between: shared.http2Between === true,
        },
      ),
      limiters: new LimiterRegistry(),
      caches: new CacheRegistry(),
      tracer: this.tracer,
      coldStarts,
    };
    // A request held for a service scaled to zero goes on through the chain in force when it is released.
    coldStarts.resume = (req) => (this.active ? this.active.outboundRouter(req) : NOT_READY());
    if (options.appPort !== undefined) {
      this.inbound = new Listener({
        name: `${this.self} inbound`,
        host: options.address,
        port: options.inboundPort,
        limits: shared.limits,
        log,
        handle: (req) => (this.active ? this.active.inbound(req) : NOT_READY()),
        onDone: (req, status, ms) => {
          this.tracer.serverSpan(req, status, ms);
          const outcome = req.outcome;
          const counted = this.inboundCounted;
          counted.rateLimited = outcome.rateLimited;
          counted.cacheHit = outcome.cache === 'HIT';
          counted.mtls = req.identity !== undefined;
          counted.attempts = outcome.attempts;
          counted.failedAttempts = outcome.failedAttempts;
          counted.grpcStatus = outcome.grpcStatus;
          counted.bodyFailure = outcome.bodyFailure;
          this.edges.inboundEdge(req.source, this.edges.routeLabel('', req)).record(status, ms, counted);
        },
        onUpgrade: (req, socket, head) => this.upgrade(req, socket, head, (r) => (this.active ? this.active.inboundUpgrade(r) : NOT_READY())),
        // Plain-HTTP callers are served unless the snapshot says STRICT (and until there is one).
        ...(identity ? { tls: { identity, acceptsPlain: () => (this.active?.snapshot.inbound.mtls ?? 'STRICT') !== 'STRICT', handshakes: this.inboundHandshakes } } : {}),
      });
    }
    this.outbound = new Listener({
      name: `${this.self} outbound`,
      host: options.outboundAddress ?? '127.0.0.1',
      port: options.outboundPort,
      limits: shared.limits,
      log,
      handle: (req) => (this.active ? this.active.outbound(req) : NOT_READY()),
      onDone: (req, status, ms) => {
        const outcome = req.outcome;
        const destination = req.route.destination || UNKNOWN_DESTINATION;
        const counted = this.outboundCounted;
        counted.retries = outcome.retries;
        counted.rateLimited = status === 429 && outcome.rateLimited;
        counted.ejections = outcome.ejections;
        counted.mtls = outcome.mtls;
        counted.attempts = outcome.attempts;
        counted.failedAttempts = outcome.failedAttempts;
        counted.grpcStatus = outcome.grpcStatus;
        counted.bodyFailure = outcome.bodyFailure;
        this.edges.outboundEdge(destination, this.edges.routeLabel(destination, req), outcome.version).record(status, ms, counted);
      },
      onUpgrade: (req, socket, head) => this.upgrade(req, socket, head, (r) => (this.active ? this.active.outboundUpgrade(r) : NOT_READY())),
    });
  }

  /**
   * Binds the listeners (port 0 picks a free one), then starts the config source. A worker only binds; a
   * primary binds nothing and announces the ports its workers bound (`bound`).
   */
  async start(adminPort: number, bound?: { inbound?: number; outbound: number }): Promise<void> {
    const { options } = this;
    if (this.role === 'primary') {
      if (!bound) throw new Error(`${this.self}: the primary needs the ports its workers bound`);
      this.ports = { ...bound };
    }
    if (this.inbound) this.ports.inbound = await this.inbound.listen();
    this.appProbe?.start();
    if (this.outbound) this.ports.outbound = await this.outbound.listen();
    if (this.role === 'worker') return;
    this.instance = options.instance ?? `${os.hostname()}:${this.ports.inbound ?? this.ports.outbound}`;
    if (options.configFile) {
      this.apply(await readConfigFile(options.configFile), 'file');
      return;
    }
    if (!this.shared.controlPlane) throw new Error(`${this.self}: needs --control-plane or --config`);
    const dataDir = options.dataDir ?? path.join(options.dataRoot ?? '.trellis/proxy', `${options.service}-${this.instance.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    const identity = this.identity;
    if (!identity) throw new Error(`${this.self}: a proxy streaming from a control plane needs a mesh identity`);
    await identity.load(dataDir);
    // Loaded only here: a standalone proxy (--config) never needs the WebSocket client (memory).
    const { StreamClient } = await import('@trellis/stream-client');
    const stream = new StreamClient({
      controlPlane: this.shared.controlPlane,
      identity: {
        service: options.service,
        namespace: options.namespace,
        instance: this.instance,
        ...(options.zone ? { zone: options.zone } : {}),
        labels: options.labels,
        ...(this.ports.inbound !== undefined ? { endpoint: { address: options.address, port: this.ports.inbound } } : {}),
        ports: { outbound: this.ports.outbound, admin: adminPort, ...(options.appPort !== undefined ? { app: options.appPort } : {}) },
        proxyVersion: PROXY_VERSION,
      },
      apply: (snapshot, source) => this.apply(snapshot, source),
      cacheFile: path.join(dataDir, 'snapshot.json'),
      log: (line) => this.shared.log(`${this.self}: ${line}`),
      credentials: identity,
      ticker: ticks,
    });
    identity.requestRenewal = () => stream.renewCertificate();
    if (this.coldStarts) this.coldStarts.askScaleUp = (service, first) => this.askScaleUp(service, first);
    const probe = this.appProbe;
    if (probe) {
      stream.setReady(probe.ready, probe.reason);
      probe.on('change', (ready: boolean, reason: string | undefined) => stream.setReady(ready, reason));
    }
    this.stream = stream;
    this.tracer.enabled = true;
    this.reporter = new TelemetryReporter(stream, this.fromWorkers ?? this.edges, this.tracer);
    this.reporter.start();
    await stream.start();
  }

  /** Asks the control plane to scale `service` up (requests wait for it); false when not connected. */
  askScaleUp(service: string, first: boolean): boolean {
    const [name = '', namespace = ''] = service.split('.');
    const sent = this.stream?.send({ type: 'scale-up', service: name, namespace }) ?? false;
    if (first || !sent) {
      this.shared.log(`${this.self}: requests wait for ${service} (no endpoint): ${sent ? 'asked the control plane to scale it up' : 'the control plane is not connected to ask it for a scale-up'}`);
    }
    return sent;
  }

  /** Primary only: telemetry a worker produced, sent on to the control plane as this workload's. */
  absorb(deltas: readonly EdgeDelta[], spans: readonly Span[]): void {
    this.fromWorkers?.add(deltas);
    if (this.tracer.enabled) for (const span of spans) this.tracer.buffer.push(span);
  }

  /** Compiles and swaps in a snapshot; throws, keeping the current one, when it cannot be served. */
  apply(snapshot: Snapshot, source: AppliedConfig['source']): void {
    // appPort, not this.inbound: the primary of --workers N has no listener but must refuse what its workers would.
    if (snapshot.inbound.mtls !== 'DISABLE' && !this.identity && this.options.appPort !== undefined) {
      throw new Error(`inbound.mtls is ${snapshot.inbound.mtls}, but this proxy has no mesh identity (it serves a --config file): use DISABLE, or stream config from a control plane`);
    }
    const self = { name: this.options.service, namespace: this.options.namespace };
    if (this.deps) {
      const next = buildActiveConfig(snapshot, this.deps, self, source);
      // One assignment: requests already running keep the chain they started with.
      this.active = next;
      this.applied = next;
      // Requests held for a service scaled to zero go on once it has an endpoint.
      this.deps.coldStarts.release();
    } else {
      this.applied = acceptSnapshot(snapshot, self, source);
    }
    this.shared.log(`${this.self}: applied snapshot version ${snapshot.version} (${source})`);
    this.onApplied?.(snapshot, source);
  }

  /** Re-reads --config (SIGHUP); a file that does not validate is refused and the old snapshot stays. */
  async reloadConfigFile(): Promise<void> {
    if (!this.options.configFile) return;
    try {
      this.apply(await readConfigFile(this.options.configFile), 'file');
    } catch (err) {
      this.shared.log(`${this.self}: kept snapshot version ${this.applied?.snapshot.version ?? 'none'}; ${(err as Error).message}`);
    }
  }

  get ready(): boolean {
    return this.applied !== undefined;
  }

  configVersion(): number | undefined {
    return this.applied?.snapshot.version;
  }

  upstreams(): Iterable<UpstreamService> {
    return this.deps?.upstreams.all() ?? [];
  }

  rateLimiters(): Iterable<Limiter> {
    return this.deps?.limiters.all() ?? [];
  }

  /** What /config shows for this workload. */
  describe(): Record<string, unknown> {
    const a = this.applied;
    return {
      service: this.options.service,
      namespace: this.options.namespace,
      instance: this.instance,
      ports: this.ports,
      stream: this.stream?.state ?? 'none',
      identity: this.identity?.identity ?? null,
      certificateExpiresAt: this.identity?.notAfter ? new Date(this.identity.notAfter).toISOString() : null,
      trustBundleVersion: this.identity?.trustBundleVersion ?? null,
      mtls: a?.snapshot.inbound.mtls ?? null,
      app: this.appProbe ? { ready: this.appProbe.ready, reason: this.appProbe.reason ?? null } : null,
      version: a?.snapshot.version ?? null,
      digest: a?.snapshot.digest ?? null,
      source: a?.source ?? null,
      appliedAt: a?.appliedAt ?? null,
      snapshot: a?.snapshot ?? null,
    };
  }

  /** SIGTERM: stop accepting, let requests in flight finish until `deadline`, send the last telemetry. */
  async drain(deadline: number): Promise<void> {
    await Promise.all([this.inbound?.drain(deadline), this.outbound?.drain(deadline)]);
    const dropped = this.reporter?.finish() ?? 0;
    if (dropped > 0) this.shared.log(`${this.self}: ${dropped} spans could not be sent before exit: dropped (trellis_proxy_spans_dropped_total)`);
    await this.stream?.close();
    this.identity?.stop();
    this.appProbe?.stop();
    await Promise.all([this.deps?.upstreams.destroy(), this.app?.destroy()]);
  }

  spansDropped(): number {
    return this.tracer.buffer.dropped;
  }

  certificateExpiry(): number | undefined {
    return this.identity?.notAfter;
  }

  private upgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer, check: Handler): void {
    const headers = withoutHopByHop(incoming.headers, false, peerIdentityOf(incoming.socket) === undefined);
    const req = new ProxyRequest(incoming, incoming.method ?? 'GET', incoming.url ?? '/', headers, null, performance.now());
    check(req).then(
      (answer) => {
        const target = req.outcome.upstream;
        if (answer !== UPGRADE_ALLOWED || target === undefined) return writeRawResponse(socket, answer);
        const colon = target.lastIndexOf(':');
        tunnel(incoming, socket, head, target.slice(0, colon), Number(target.slice(colon + 1)), req.headers, req.outcome.upstreamTls);
      },
      (err: Error) => writeRawResponse(socket, proxyError('internal-error', err.message)),
    );
  }
}
