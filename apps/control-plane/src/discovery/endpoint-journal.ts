import { EventEmitter } from 'node:events';
import type { Database } from '../db/open.ts';
import { WriteBatches } from '../db/write-batches.ts';
import type { DiscoveredEndpoint, EndpointRegistry } from './registry.ts';

/** Endpoints older than this are not brought back at start: their proxies are long gone. */
const STALE_MS = 10 * 60_000;

export type ProxyEndpoint = DiscoveredEndpoint & { instance: string };

const COLUMNS = '"instance", "service", "namespace", "address", "port", "zone", "labels", "identity", "last_seen_at"';
/** Every endpoint of a batch in one statement. */
const UPSERT = `INSERT INTO "proxy_endpoints" (${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_populate_recordset(NULL::"proxy_endpoints", $1::jsonb)
  ON CONFLICT ("instance") DO UPDATE SET ${COLUMNS.split(', ')
    .slice(1)
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}`;
const DELETE = 'DELETE FROM "proxy_endpoints" WHERE "instance" = ANY($1::text[])';

/**
 * The endpoints proxies announced, kept in the database so a restarted control plane starts from them
 * instead of from nothing. Without it, the first proxies to reconnect were pushed services with their
 * peers' endpoints missing until those reconnected too (seconds of 503s where one had no endpoint left).
 * Restored endpoints stay for a warm-up period; those whose proxy has not come back by then leave.
 * Events 'saved' (endpoint) and 'forgotten' (instance), which other replicas are told about.
 */
export class EndpointJournal extends EventEmitter {
  /** Rows to write by instance (null: delete it); only the last word about an instance counts. */
  private readonly writes: WriteBatches<Row | null>;
  private warmup: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: Database,
    private readonly log: (line: string) => void,
  ) {
    super();
    this.writes = new WriteBatches((batch) => this.write(batch), (err) => this.log(`could not record proxy endpoints: ${err.message}`));
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

  /** Records an announced endpoint (written in the background, in order, in batches). */
  save(e: ProxyEndpoint): void {
    this.writes.update(e.instance, () => toRow(e));
    this.emit('saved', e);
  }

  forget(instance: string): void {
    this.writes.update(instance, () => null);
    this.emit('forgotten', instance);
  }

  /** Waits for the writes queued so far (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.writes.flushed();
  }

  stop(): void {
    clearTimeout(this.warmup);
  }

  private async write(batch: Map<string, Row | null>): Promise<void> {
    const rows = [...batch.values()].filter((r) => r !== null);
    const gone = [...batch].filter(([, r]) => r === null).map(([instance]) => instance);
    if (rows.length) await this.prisma.$executeRawUnsafe(UPSERT, JSON.stringify(rows));
    if (gone.length) await this.prisma.$executeRawUnsafe(DELETE, gone);
  }
}

type Row = ReturnType<typeof toRow>;

/** An endpoint as a row of proxy_endpoints, keyed by column name (jsonb_populate_recordset reads it so). */
function toRow(e: ProxyEndpoint) {
  return {
    instance: e.instance,
    service: e.service,
    namespace: e.namespace,
    address: e.address,
    port: e.port,
    zone: e.zone ?? null,
    labels: e.labels,
    identity: e.identity ?? null,
    last_seen_at: new Date().toISOString(),
  };
}
