import { EventEmitter } from 'node:events';
import type { Database } from '../db/open.ts';
import type { DiscoveredEndpoint, EndpointRegistry } from './registry.ts';

/** Endpoints older than this are not brought back at start: their proxies are long gone. */
const STALE_MS = 10 * 60_000;

export type ProxyEndpoint = DiscoveredEndpoint & { instance: string };

/**
 * The endpoints proxies announced, kept in the database so a restarted control plane starts from them
 * instead of from nothing. Without it, the first proxies to reconnect were pushed services with their
 * peers' endpoints missing until those reconnected too (seconds of 503s where one had no endpoint left).
 * Restored endpoints stay for a warm-up period; those whose proxy has not come back by then leave.
 * Events 'saved' (endpoint) and 'forgotten' (instance), which other replicas are told about.
 */
export class EndpointJournal extends EventEmitter {
  private writes: Promise<void> = Promise.resolve();
  private warmup: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: Database,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  /** Puts the endpoints of the last run back into the registry; returns their instances. */
  async restore(registry: EndpointRegistry): Promise<Set<string>> {
    const rows = await this.prisma.proxyEndpoint.findMany({ where: { lastSeenAt: { gt: new Date(Date.now() - STALE_MS) } } });
    for (const r of rows) {
      registry.upsert({
        service: r.service,
        namespace: r.namespace,
        source: 'proxy',
        address: r.address,
        port: r.port,
        labels: (r.labels ?? {}) as Record<string, string>,
        instance: r.instance,
        ...(r.zone ? { zone: r.zone } : {}),
        ...(r.identity ? { identity: r.identity } : {}),
      });
    }
    if (rows.length) this.log(`restored ${rows.length} proxy endpoints from the last run; they stay until their proxies reconnect or the warm-up ends`);
    return new Set(rows.map((r) => r.instance));
  }

  /**
   * After `ms`, takes the restored endpoints whose proxy did not come back out of the registry (and the
   * journal). `connected` says whether an instance has a session now.
   */
  endWarmup(ms: number, restored: Set<string>, registry: EndpointRegistry, connected: (instance: string) => boolean): void {
    if (restored.size === 0) return;
    this.warmup = setTimeout(() => {
      const gone = [...restored].filter((i) => !connected(i));
      for (const key of registry.serviceKeys()) {
        for (const e of registry.endpoints(key)) if (e.source === 'proxy' && e.instance && gone.includes(e.instance)) registry.remove(e);
      }
      for (const instance of gone) this.forget(instance);
      this.log(`warm-up over: ${restored.size - gone.length} of ${restored.size} restored proxies came back${gone.length ? `; endpoints of ${gone.join(', ')} removed` : ''}`);
    }, ms);
    this.warmup.unref();
  }

  /** Records an announced endpoint (written in the background, in order). */
  save(e: ProxyEndpoint): void {
    const data = {
      service: e.service,
      namespace: e.namespace,
      address: e.address,
      port: e.port,
      zone: e.zone ?? null,
      labels: e.labels,
      identity: e.identity ?? null,
      lastSeenAt: new Date(),
    };
    this.enqueue(() => this.prisma.proxyEndpoint.upsert({ where: { instance: e.instance }, create: { instance: e.instance, ...data }, update: data }));
    this.emit('saved', e);
  }

  forget(instance: string): void {
    this.enqueue(() => this.prisma.proxyEndpoint.deleteMany({ where: { instance } }));
    this.emit('forgotten', instance);
  }

  /** Waits for the writes queued so far (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.writes;
  }

  stop(): void {
    clearTimeout(this.warmup);
  }

  private enqueue(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).then(
      () => undefined,
      (err: Error) => this.log(`could not record a proxy endpoint: ${err.message}`),
    );
  }
}
