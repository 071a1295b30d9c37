import path from 'node:path';
import { DEFAULT_TRUST_DOMAIN, type MetricsReport, type Span } from '@trellis/shared';
import { openDatabase } from './db/open.ts';
import { ResourceStore } from './store/resources.ts';
import { EndpointRegistry } from './discovery/registry.ts';
import { EndpointJournal } from './discovery/endpoint-journal.ts';
import { ConfigDistributor } from './compiler/distributor.ts';
import { VersionCounter } from './compiler/version-counter.ts';
import { StreamServer } from './stream/server.ts';
import type { ProxySession } from './stream/session.ts';
import { createMetrics } from './metrics.ts';
import { createServer } from './server.ts';
import { DEFAULT_MAX_BODY_BYTES } from './http/body-limit.ts';
import { Telemetry } from './telemetry/index.ts';
import { IdentityService } from './identity/service.ts';
import { TrustRotation } from './identity/rotation.ts';
import type { ControlPlaneServices } from './services.ts';
import type { InjectorSettings } from './kubernetes/admission-http.ts';
import { Auth } from './auth/service.ts';
import type { OidcOptions } from './auth/oidc-config.ts';
import type { SessionOptions } from './auth/sessions.ts';
import type { ThrottleOptions } from './auth/throttle.ts';
import { CaRows } from './identity/ca-rows.ts';
import { ReplicaBus } from './replication/bus.ts';
import { Replication } from './replication/replicas.ts';
import { Scaler, type ScaleHook } from './scaling/scaler.ts';
import { commandScaleHook, httpScaleHook } from './scaling/hooks.ts';

export interface ControlPlaneOptions {
  port: number;
  host?: string;
  /** Postgres URL; without it the embedded PGlite database in dataDir is used. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** How long a disconnected proxy's endpoint stays in its service. */
  endpointGraceMs?: number;
  /** After a start, how long endpoints of the last run wait for their proxies to reconnect (default 15 s). */
  warmupMs?: number;
  redisUrl?: string | undefined;
  /** Trace sampling for services that do not set their own. */
  defaultSampling?: number;
  /** Span retention: by age and by count. */
  spanMaxAgeMs?: number;
  maxSpans?: number;
  /** Also send spans to this OpenTelemetry collector (OTLP/HTTP). */
  otlpEndpoint?: string | undefined;
  /** Largest API request body (and tRPC WebSocket message) accepted, in bytes; larger gets 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** TLS handshakes in progress at most (default 64); connections beyond are closed at once and retried by their proxies. */
  maxHandshakes?: number;
  /**
   * Time a TLS handshake may take (default 5 s, when a proxy's own connect gives up): one that has not
   * finished by then is closed, so a client that starts handshakes and stalls cannot hold maxHandshakes.
   */
  handshakeTimeoutMs?: number;
  /** Discover endpoints from Kubernetes EndpointSlices too (kubeconfig file, or the default places). */
  kubernetes?: { kubeconfig?: string | undefined; statusIntervalMs?: number | undefined } | undefined;
  /**
   * Scale to zero outside Kubernetes (ScaleToZeroPolicy): POST {service, namespace, replicas} to `hookUrl`,
   * or run `command` with the three as arguments. In Kubernetes mode the workload's scale subresource is used.
   */
  scaling?: { hookUrl?: string | undefined; command?: string | undefined } | undefined;
  /** Serve the Kubernetes sidecar injector (admission webhook) with this proxy image and in-cluster URL. */
  injector?: InjectorSettings | undefined;
  /** The SPIFFE trust domain of workload identities (default trellis.local). */
  trustDomain?: string;
  /** An intermediate CA the operator brings (PEM, chain to the root may follow) and its key; else the control plane makes its own CA in dataDir. */
  ca?: { certFile: string; keyFile: string } | undefined;
  /**
   * TRELLIS_CA_SECRET: keep the self-managed CA in the database, sealed with a key derived from this
   * secret, instead of in dataDir: what replicas on one Postgres need to share one CA (docs/ARCHITECTURE.md).
   */
  caSecret?: string | undefined;
  /** Lifetime of workload certificates (default 24 h; proxies renew at two thirds). */
  certTtlMs?: number;
  /** More names or addresses proxies reach the control plane by (its TLS certificate's SANs). */
  tlsHosts?: string[];
  log?: (line: string) => void;
  /** An admin API token kept in memory only (TRELLIS_BOOTSTRAP_TOKEN): for `trellis up` and automation. */
  bootstrapToken?: string | undefined;
  /** The first admin's password (TRELLIS_ADMIN_PASSWORD), used only when there are no users yet. */
  adminPassword?: string | undefined;
  /** The dashboard's public URL: sign-in links point to it and its origin may open WebSockets (default http://127.0.0.1:7401). */
  dashboardUrl?: string | undefined;
  /** Browser origins allowed to call the API directly (CORS); none by default. */
  corsOrigins?: string[] | undefined;
  /** Serve /metrics without credentials. */
  publicMetrics?: boolean | undefined;
  sessions?: Partial<SessionOptions> | undefined;
  signInThrottle?: Partial<ThrottleOptions> | undefined;
  /** Single sign-on with an OpenID Connect issuer. */
  oidc?: OidcOptions | undefined;
  /**
   * First run (no users): told the new admin's name and one-time sign-in link. Default: logged. Null: no
   * link is made (`trellis up` makes its own through the bootstrap token).
   */
  onFirstRun?: ((admin: { username: string; link: string; expiresAt: Date }) => void) | null;
}

export interface ControlPlane {
  url: string;
  port: number;
  services: ControlPlaneServices;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = path.join('.trellis', 'data');
export const DEFAULT_PORT = 7400;
export const DEFAULT_DASHBOARD_URL = 'http://127.0.0.1:7401';

/** Opens the database (applying migrations), starts the config pipeline and serves the API and stream. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, log });
  // On Postgres the control plane may be one of several replicas: they talk over LISTEN/NOTIFY.
  let bus: ReplicaBus | undefined;
  if (options.databaseUrl) {
    try {
      bus = await ReplicaBus.open(options.databaseUrl);
    } catch (err) {
      await db.close();
      throw new Error(`cannot listen for other control-plane replicas on Postgres: ${(err as Error).message}`);
    }
  }
  const closeDatabase = async () => {
    await bus?.close();
    await db.close();
  };
  const metrics = createMetrics();
  let auth: Auth;
  try {
    auth = new Auth(db.prisma, {
      bootstrapToken: options.bootstrapToken,
      adminPassword: options.adminPassword,
      dashboardUrl: options.dashboardUrl ?? DEFAULT_DASHBOARD_URL,
      corsOrigins: options.corsOrigins ?? [],
      publicMetrics: options.publicMetrics ?? false,
      sessions: options.sessions,
      throttle: options.signInThrottle,
      oidc: options.oidc,
    });
    const onFirstRun =
      options.onFirstRun === undefined
        ? (admin: { username: string; link: string }) => log(`first run: created the user "${admin.username}"; sign in once with ${admin.link} (single use, 15 minutes), then set a password`)
        : options.onFirstRun;
    // Replicas starting together on an empty database make one first admin, not one each.
    const makeFirstAdmin = () => auth.ensureFirstAdmin(onFirstRun !== null);
    const first = await (bus ? bus.exclusively('first-admin', makeFirstAdmin) : makeFirstAdmin());
    if (first?.link && onFirstRun) onFirstRun({ ...first, link: first.link });
  } catch (err) {
    await closeDatabase();
    throw err;
  }
  const store = new ResourceStore(db.prisma);
  const registry = new EndpointRegistry();
  // Endpoints of the last run first, so the first snapshots are as complete as the mesh is.
  const journal = new EndpointJournal(db.prisma, log);
  const restored = await journal.restore(registry);
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const distributor = new ConfigDistributor(store, registry, new VersionCounter(db.prisma), {
    defaultSampling: options.defaultSampling ?? 1,
    redisUrl: options.redisUrl,
    trustDomain,
  });
  distributor.on('error', (err: Error) => log(`config compile failed: ${err.message}`));
  await distributor.start();
  const kubernetes = options.kubernetes
    ? // Loaded only here: @kubernetes/client-node takes most of a second to load, and most control planes never need it.
      await (await import('./discovery/kubernetes.ts')).startKubernetesDiscovery(registry, { kubeconfig: options.kubernetes.kubeconfig, log }).catch(async (err: Error) => {
        await closeDatabase();
        throw new Error(`Kubernetes discovery could not start: ${err.message}; check the kubeconfig, or run without --kubernetes`);
      })
    : undefined;
  const caStorage = options.caSecret && !options.ca ? new CaRows(db.prisma, options.caSecret) : undefined;
  if (bus && !options.ca && !caStorage) {
    log(`mesh CA: kept in ${options.dataDir}/ca on this machine, which other replicas do not share; to run several replicas set TRELLIS_CA_SECRET (the CA is then kept in the database, sealed) or give every replica --ca-cert/--ca-key`);
  }
  // In Kubernetes, proxies may prove who they are with a projected ServiceAccount token.
  const tokenReviewer = options.kubernetes ? (await import('./identity/token-review.ts')).kubernetesTokenReviewer(options.kubernetes.kubeconfig) : undefined;
  const startIdentity = () => IdentityService.start(db.prisma, {
    trustDomain,
    dataDir: options.dataDir,
    operator: options.ca,
    storage: caStorage,
    certTtlMs: options.certTtlMs ?? 24 * 3600_000,
    hosts: [...(options.host && !['0.0.0.0', '::', '127.0.0.1'].includes(options.host) ? [options.host] : []), ...(options.tlsHosts ?? [])],
    tokenReviewer,
    log,
  });
  // Replicas starting together on an empty database must make one CA, not one each.
  const identity = await (bus && caStorage ? bus.exclusively('mesh-ca', startIdentity) : startIdentity()).catch(async (err: Error) => {
    await closeDatabase();
    throw err;
  });
  const stream = new StreamServer(distributor, registry, identity, metrics, { endpointGraceMs: options.endpointGraceMs ?? 10_000 }, journal);
  identity.on('warning', log);
  const rotation = new TrustRotation(identity.ca, stream, log);
  // In Kubernetes mode the custom resources are the source of truth: watched into the store, written back with status.
  const customResources = options.kubernetes
    ? await (async () => {
        const { CustomResourceSync } = await import('./kubernetes/custom-resources.ts');
        const { countProxiesRunning } = await import('./kubernetes/proxy-count.ts');
        const { HttpRouteSync } = await import('./kubernetes/http-routes.ts');
        const settings = { kubeconfig: options.kubernetes?.kubeconfig, statusIntervalMs: options.kubernetes?.statusIntervalMs, log };
        const crs = await CustomResourceSync.start(store, (r) => countProxiesRunning(r, stream, distributor), settings);
        // Gateway API HTTPRoutes attached to Services (GAMMA) go into the same snapshots.
        const known = (key: string) => registry.endpoints(key).length > 0 || distributor.policyIndex.services.has(key);
        const routes = await HttpRouteSync.start(distributor.gateway, known, settings);
        return { stop: async () => Promise.all([crs.stop(), routes.stop()]).then(() => undefined) };
      })().catch(async (err: Error) => {
        distributor.stop();
        rotation.stop();
        identity.stop();
        await kubernetes?.stop();
        await stream.close();
        await db.close();
        throw new Error(`Kubernetes custom resources could not be watched: ${err.message}`);
      })
    : undefined;
  const telemetry = new Telemetry(db.prisma, {
    spanMaxAgeMs: options.spanMaxAgeMs ?? 24 * 3600_000,
    maxSpans: options.maxSpans ?? 200_000,
    otlpEndpoint: options.otlpEndpoint,
  });
  telemetry.on('warning', log);
  metrics.observeTelemetry(telemetry);
  stream.on('metrics', (session: ProxySession, report: MetricsReport) => telemetry.ingestMetrics(report, session.clockSkewMs));
  const scaler = await startScaler(options, distributor, log);
  if (scaler) stream.on('metrics', (_session, report: MetricsReport) => scaler.observe(report));
  stream.on('scale-up', (session: ProxySession, service: string) => {
    if (scaler) void scaler.scaleUp(service, session.identity.instance);
    else log(`${session.identity.instance} asked for a scale-up of ${service}, but nothing can scale it: start the control plane with --kubernetes, --scale-hook-url or --scale-command`);
  });
  // Spans come named "name.namespace" after the proxy's authenticated service (stream/telemetry-guard.ts).
  stream.on('spans', (_session: ProxySession, spans: Span[]) => telemetry.ingestSpans(spans));
  const replication = bus
    ? new Replication(bus, { store, distributor, registry, journal, stream, telemetry, log }, { endpointGraceMs: options.endpointGraceMs ?? 10_000 })
    : undefined;
  if (replication) {
    identity.ca.on('saved', () => replication.caChanged());
    replication.onCaChanged = () => void identity.ca.reload().catch((err: Error) => log(`mesh CA: could not load what another replica changed: ${err.message}`));
    identity.tokens.on('revoked', (id: string) => replication.tokenRevoked(id));
    replication.onTokenRevoked = (id) => {
      identity.tokens.forget(id);
      const dropped = stream.disconnectToken(id);
      if (dropped > 0) log(`join token ${id} was revoked on another replica: disconnected ${dropped} proxies that joined with it`);
    };
  }
  const services: ControlPlaneServices = { prisma: db.prisma, store, registry, distributor, stream, metrics, telemetry, identity, rotation, log, auth, injector: options.injector, scaledToZero: (service) => scaler?.isAtZero(service) ?? false };
  let ready = false;
  let shedNoticeAt = 0;
  let shedSinceNotice = 0;
  const { server, listen, close: closeServer, closeWebSockets } = createServer(services, () => ready, {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxHandshakes: options.maxHandshakes ?? 64,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5_000,
    shed: () => {
      metrics.connectionsShed.inc();
      shedSinceNotice++;
      if (Date.now() - shedNoticeAt < 10_000) return;
      log(`too many proxies connecting at once: closed ${shedSinceNotice} TLS connections beyond ${options.maxHandshakes ?? 64} handshakes in progress; they retry with backoff (trellis_cp_connections_shed_total counts them all)`);
      shedNoticeAt = Date.now();
      shedSinceNotice = 0;
    },
  });
  server.keepAliveTimeout = 65_000;

  const port = await listen(options.port, options.host ?? '127.0.0.1').catch(async (err: NodeJS.ErrnoException) => {
    distributor.stop();
    rotation.stop();
    identity.stop();
    replication?.stop();
    await stream.close();
    await closeDatabase();
    throw err.code === 'EADDRINUSE' ? new Error(`port ${options.port} is already in use; stop what is using it or pass --port (or PORT)`) : err;
  });
  ready = true;
  journal.endWarmup(options.warmupMs ?? 15_000, restored, registry, (instance) => stream.isConnected(instance) || stream.heldElsewhere(instance));
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  log(`control plane listening on http://${host}:${port} (database: ${db.description}${bus ? `; replica ${bus.id}` : ''})`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    close: () =>
      (closing ??= (async () => {
        ready = false;
        scaler?.stop();
        distributor.stop();
        rotation.stop();
        identity.stop();
        journal.stop();
        await customResources?.stop();
        await kubernetes?.stop();
        await stream.close();
        await closeWebSockets();
        await telemetry.close();
        await closeServer();
        await journal.flushed();
        await identity.tokens.flushed();
        replication?.stop();
        await closeDatabase();
      })()),
  };
}

/** The scaler of ScaleToZeroPolicies: Kubernetes' scale subresource, or the hook given; none without either. */
async function startScaler(options: ControlPlaneOptions, distributor: ConfigDistributor, log: (line: string) => void): Promise<Scaler | undefined> {
  let hook: ScaleHook | undefined;
  if (options.kubernetes) hook = (await import('./kubernetes/scale.ts')).kubernetesScaleHook(options.kubernetes.kubeconfig);
  else if (options.scaling?.hookUrl) hook = httpScaleHook(options.scaling.hookUrl);
  else if (options.scaling?.command) hook = commandScaleHook(options.scaling.command);
  if (!hook) return undefined;
  const scaler = new Scaler({ policies: () => distributor.policyIndex.scaleToZeroPolicies(), hook, log });
  scaler.start();
  return scaler;
}

export type { AppRouter } from './router/root.ts';
export { openDatabase } from './db/open.ts';
export { keepWasmOnLiftoff } from './db/wasm-tiering.ts';
export { parseRoleMappings, type OidcOptions, type RoleMapping } from './auth/oidc-config.ts';
export { DEFAULT_MAX_BODY_BYTES } from './http/body-limit.ts';
