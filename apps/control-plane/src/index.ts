import path from 'node:path';
import type { MetricsReport, Span } from '@trellis/shared';
import type { AddressInfo } from 'node:net';
import { openDatabase } from './db/open.ts';
import { ResourceStore } from './store/resources.ts';
import { EndpointRegistry } from './discovery/registry.ts';
import { startKubernetesDiscovery } from './discovery/kubernetes.ts';
import { ConfigDistributor } from './compiler/distributor.ts';
import { VersionCounter } from './compiler/version-counter.ts';
import { StreamServer } from './stream/server.ts';
import type { ProxySession } from './stream/session.ts';
import { createMetrics } from './metrics.ts';
import { createServer } from './server.ts';
import { DEFAULT_MAX_BODY_BYTES } from './http/body-limit.ts';
import { Telemetry } from './telemetry/index.ts';
import type { ControlPlaneServices } from './services.ts';

export interface ControlPlaneOptions {
  port: number;
  host?: string;
  /** Postgres URL; without it the embedded PGlite database in dataDir is used. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** How long a disconnected proxy's endpoint stays in its service. */
  endpointGraceMs?: number;
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
  /** Discover endpoints from Kubernetes EndpointSlices too (kubeconfig file, or the default places). */
  kubernetes?: { kubeconfig?: string | undefined } | undefined;
  log?: (line: string) => void;
}

export interface ControlPlane {
  url: string;
  port: number;
  services: ControlPlaneServices;
  close(): Promise<void>;
}

export const DEFAULT_DATA_DIR = path.join('.trellis', 'data');
export const DEFAULT_PORT = 7400;

/** Opens the database (applying migrations), starts the config pipeline and serves the API and stream. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const db = await openDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, log });
  const metrics = createMetrics();
  const store = new ResourceStore(db.prisma);
  const registry = new EndpointRegistry();
  const distributor = new ConfigDistributor(store, registry, new VersionCounter(db.prisma), {
    defaultSampling: options.defaultSampling ?? 1,
    redisUrl: options.redisUrl,
  });
  distributor.on('error', (err: Error) => log(`config compile failed: ${err.message}`));
  await distributor.start();
  const kubernetes = options.kubernetes
    ? await startKubernetesDiscovery(registry, { kubeconfig: options.kubernetes.kubeconfig, log }).catch(async (err: Error) => {
        await db.close();
        throw new Error(`Kubernetes discovery could not start: ${err.message}; check the kubeconfig, or run without --kubernetes`);
      })
    : undefined;
  const stream = new StreamServer(distributor, registry, metrics, { endpointGraceMs: options.endpointGraceMs ?? 10_000 });
  const telemetry = new Telemetry(db.prisma, {
    spanMaxAgeMs: options.spanMaxAgeMs ?? 24 * 3600_000,
    maxSpans: options.maxSpans ?? 200_000,
    otlpEndpoint: options.otlpEndpoint,
  });
  telemetry.on('warning', log);
  metrics.observeTelemetry(telemetry);
  stream.on('metrics', (_session, report: MetricsReport) => telemetry.ingestMetrics(report));
  // Spans name their service as the proxy knows it ("reviews"); qualify it with the proxy's namespace so
  // spans, edges and graph nodes all say "reviews.default".
  stream.on('spans', (session: ProxySession, spans: Span[]) => {
    const ns = session.identity.namespace;
    telemetry.ingestSpans(spans.map((s) => (s.service.includes('.') ? s : { ...s, service: `${s.service}.${ns}` })));
  });
  const services: ControlPlaneServices = { prisma: db.prisma, store, registry, distributor, stream, metrics, telemetry, log };
  let ready = false;
  const { server, closeWebSockets } = createServer(services, () => ready, { maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} is already in use; stop what is using it or pass --port (or PORT)`)
          : err,
      );
    });
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  }).catch(async (err: unknown) => {
    distributor.stop();
    await stream.close();
    await db.close();
    throw err;
  });
  ready = true;
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  log(`control plane listening on http://${host}:${port} (database: ${db.description})`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    close: () =>
      (closing ??= (async () => {
        ready = false;
        distributor.stop();
        await kubernetes?.stop();
        await stream.close();
        await closeWebSockets();
        await telemetry.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await db.close();
      })()),
  };
}

export type { AppRouter } from './router/root.ts';
export { openDatabase } from './db/open.ts';
export { DEFAULT_MAX_BODY_BYTES } from './http/body-limit.ts';
