import type { EdgeDelta, MetricsReport } from '@trellis/shared';
import type { ConfigDistributor } from '../compiler/distributor.ts';
import type { EndpointJournal, ProxyEndpoint } from '../discovery/endpoint-journal.ts';
import type { EndpointRegistry } from '../discovery/registry.ts';
import type { ResourceRef, ResourceStore } from '../store/resources.ts';
import type { StreamServer } from '../stream/server.ts';
import type { Telemetry } from '../telemetry/index.ts';
import type { ReplicaBus } from './bus.ts';

export interface ReplicationParts {
  store: ResourceStore;
  distributor: ConfigDistributor;
  registry: EndpointRegistry;
  journal: EndpointJournal;
  stream: StreamServer;
  telemetry: Telemetry;
  log: (line: string) => void;
}

export interface ReplicationOptions {
  /** How long the endpoints of a replica that vanished stay (its proxies are moving to the others meanwhile). */
  endpointGraceMs: number;
  /** How often metric deltas are sent to the other replicas, and how often replicas are counted. */
  telemetryEveryMs?: number;
  livenessEveryMs?: number;
}

/** What the replicas tell each other (bus message kinds). */
const RESOURCE = 'resource';
const ENDPOINT_UP = 'endpoint-up';
const ENDPOINT_DOWN = 'endpoint-down';
const METRICS = 'metrics';
const CA = 'ca';
const TOKEN_REVOKED = 'token-revoked';
/** A replica that just started asks the others for the endpoints they hold; they answer with ENDPOINTS. */
const SYNC_REQUEST = 'sync-request';
const ENDPOINTS = 'endpoints';

/**
 * Makes this control plane one replica of several on the same Postgres. What each replica keeps in memory
 * is shared over the bus; what is in the database (resources, tokens, sessions, spans, the CA with
 * TRELLIS_CA_SECRET) is read from there:
 * - a resource change: the others recompile from the database (the change itself is already committed);
 * - a proxy's endpoint, announced or withdrawn where the proxy is connected: the others add or remove it;
 * - metric deltas from this replica's proxies, every second: the others add them to their windows, so the
 *   graph and charts are the whole mesh's whichever replica the dashboard reaches;
 * - the CA changed (a rotation step): the others load it again;
 * - a join token was revoked: the others stop trusting their copy of its row and cut off the proxies that
 *   joined through them with it.
 * A replica that disappears from pg_stat_activity (its process died) has its proxies' endpoints removed
 * after the grace period, unless those proxies came back through another replica first.
 */
export class Replication {
  /** Endpoints other replicas announced: instance -> who holds it and the endpoint. */
  private readonly remote = new Map<string, { replica: string; endpoint: ProxyEndpoint }>();
  /** Endpoints of the proxies connected to this replica. */
  private readonly local = new Map<string, ProxyEndpoint>();
  /** Replicas seen gone, and since when. */
  private readonly gone = new Map<string, number>();
  private outgoing: EdgeDelta[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly bus: ReplicaBus,
    private readonly parts: ReplicationParts,
    private readonly options: ReplicationOptions,
  ) {
    const { store, journal, stream } = parts;
    const send = (kind: string, body: unknown) => void bus.publish(kind, body).catch((err: Error) => parts.log(`could not tell the other replicas (${kind}): ${err.message}`));
    store.on('change', (ref: ResourceRef) => send(RESOURCE, ref));
    journal.on('saved', (endpoint: ProxyEndpoint) => {
      this.remote.delete(endpoint.instance);
      this.local.set(endpoint.instance, endpoint);
      send(ENDPOINT_UP, endpoint);
    });
    journal.on('forgotten', (instance: string) => {
      this.local.delete(instance);
      send(ENDPOINT_DOWN, { instance });
    });
    stream.heldElsewhere = (instance) => this.remote.has(instance);
    stream.on('metrics', (_session: unknown, report: MetricsReport) => {
      for (const e of report.edges) this.outgoing.push(e);
    });
    bus.on('message', (kind: string, body: unknown, from: string) => this.receive(kind, body, from));
    // After a reconnect, resource changes may have been missed: read them all again.
    bus.on('connected', () => {
      parts.log('replica bus: reconnected to Postgres; reloading every resource');
      parts.distributor.reload();
      send(SYNC_REQUEST, {});
    });
    // The bus is connected already: learn the endpoints the other replicas hold.
    send(SYNC_REQUEST, {});
    bus.on('disconnected', (err: Error) => parts.log(`replica bus: lost Postgres (${err.message}); reconnecting`));
    this.timers.push(setInterval(() => this.flushMetrics(send), options.telemetryEveryMs ?? 1000));
    this.timers.push(setInterval(() => void this.checkReplicas(), options.livenessEveryMs ?? 2000));
    for (const t of this.timers) t.unref();
  }

  /** Tells the other replicas the CA changed (a rotation step was taken here). */
  caChanged(): void {
    void this.bus.publish(CA, {}).catch(() => undefined);
  }

  /** Called when another replica says the CA changed. */
  onCaChanged: () => void = () => {};

  /** Tells the other replicas a join token was revoked here. */
  tokenRevoked(id: string): void {
    void this.bus.publish(TOKEN_REVOKED, { id }).catch((err: Error) => this.parts.log(`could not tell the other replicas join token ${id} was revoked: ${err.message}`));
  }

  /** Called when another replica says it revoked a join token. */
  onTokenRevoked: (id: string) => void = () => {};

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private flushMetrics(send: (kind: string, body: unknown) => void): void {
    if (this.outgoing.length === 0) return;
    const edges = this.outgoing;
    this.outgoing = [];
    send(METRICS, { edges });
  }

  private receive(kind: string, body: unknown, from: string): void {
    const { distributor, registry, stream, telemetry } = this.parts;
    switch (kind) {
      case RESOURCE:
        distributor.resourceChanged(body as ResourceRef);
        break;
      case ENDPOINT_UP:
        this.remoteEndpoint(body as ProxyEndpoint, from);
        break;
      case ENDPOINTS:
        for (const endpoint of (body as { endpoints: ProxyEndpoint[] }).endpoints) this.remoteEndpoint(endpoint, from);
        break;
      case SYNC_REQUEST:
        if (this.local.size > 0) void this.bus.publish(ENDPOINTS, { endpoints: [...this.local.values()] }).catch(() => undefined);
        break;
      case ENDPOINT_DOWN: {
        const { instance } = body as { instance: string };
        const held = this.remote.get(instance);
        // Only the replica that holds a proxy withdraws its endpoint (an old holder's grace timer does not).
        if (!held || held.replica !== from) return;
        this.remote.delete(instance);
        if (!stream.isConnected(instance)) registry.remove(held.endpoint);
        break;
      }
      case METRICS:
        telemetry.windows.add((body as { edges: EdgeDelta[] }).edges);
        break;
      case CA:
        this.onCaChanged();
        break;
      case TOKEN_REVOKED:
        this.onTokenRevoked((body as { id: string }).id);
        break;
    }
  }

  private remoteEndpoint(endpoint: ProxyEndpoint, from: string): void {
    // Connected here (it moved): this replica's own record wins.
    if (this.parts.stream.isConnected(endpoint.instance)) return;
    this.remote.set(endpoint.instance, { replica: from, endpoint });
    this.parts.registry.upsert(endpoint);
  }

  /** Removes, after the grace period, the endpoints held by replicas no longer connected to Postgres. */
  private async checkReplicas(): Promise<void> {
    let alive: Set<string>;
    try {
      alive = await this.bus.replicas();
    } catch {
      return;
    }
    const now = Date.now();
    const holders = new Set([...this.remote.values()].map((h) => h.replica));
    for (const replica of holders) {
      if (alive.has(replica)) {
        this.gone.delete(replica);
        continue;
      }
      const since = this.gone.get(replica);
      if (since === undefined) {
        this.gone.set(replica, now);
        this.parts.log(`replica ${replica} is gone; its proxies' endpoints stay ${Math.round(this.options.endpointGraceMs / 1000)} s while they move to other replicas`);
        continue;
      }
      if (now - since < this.options.endpointGraceMs) continue;
      for (const [instance, held] of this.remote) {
        if (held.replica !== replica) continue;
        this.remote.delete(instance);
        if (!this.parts.stream.isConnected(instance)) this.parts.registry.remove(held.endpoint);
      }
      this.gone.delete(replica);
    }
  }
}
