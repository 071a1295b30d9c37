import { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  HEARTBEAT_INTERVAL_MS,
  describeErrors,
  formatIssues,
  proxyMessage,
  type MetricsReport,
  type Span,
} from '@trellis/shared';
import type { ConfigDistributor } from '../compiler/distributor.ts';
import { serviceKey, type EndpointRegistry } from '../discovery/registry.ts';
import type { ControlPlaneMetrics } from '../metrics.ts';
import { ProxySession } from './session.ts';

export interface StreamServerOptions {
  /** How long a disconnected proxy's endpoint stays in its service (it may just be reconnecting). */
  endpointGraceMs: number;
  helloTimeoutMs?: number;
}

export interface ProxyStatus {
  id: string;
  service: string;
  namespace: string;
  instance: string;
  zone: string | null;
  labels: Record<string, string>;
  endpoint: string | null;
  proxyVersion: string;
  connected: boolean;
  connectedAt: string;
  lastSeen: string;
  appliedVersion: number | null;
  desiredVersion: number | null;
  inSync: boolean;
  lastError: string | null;
}

/**
 * The proxy stream (ws at STREAM_PATH): hello -> snapshot -> ACK/NACK, heartbeats, telemetry. Proxy
 * hellos are also a discovery source: a proxy's endpoint joins its service while it is connected and
 * leaves `endpointGraceMs` after it disconnects. Events: 'metrics' (session, report), 'spans' (session, spans).
 */
export class StreamServer extends EventEmitter {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
  private readonly sessions = new Map<string, ProxySession>();
  /** Disconnected proxies, shown for the grace period. */
  private readonly departed = new Map<string, ProxySession>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly distributor: ConfigDistributor,
    private readonly registry: EndpointRegistry,
    private readonly metrics: ControlPlaneMetrics,
    private readonly options: StreamServerOptions,
  ) {
    super();
    this.wss.on('connection', (ws) => this.accept(ws));
    // A proxy silent for three heartbeats is gone even if its TCP connection has not noticed.
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - HEARTBEAT_INTERVAL_MS * 3;
      for (const s of this.sessions.values()) if (s.lastSeen < cutoff) s.terminate();
    }, HEARTBEAT_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Every proxy connected now, and those that left within the grace period. */
  list(): ProxyStatus[] {
    return [...this.sessions.values(), ...this.departed.values()].map((s) => this.status(s)).sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance),
    );
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sessions.values()) s.close(1001, 'control plane stopping');
    // A proxy that does not answer the close handshake promptly is cut off: stopping must not wait
    // on ws's 30 s close timeout.
    const cutoff = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
    }, 1000);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    clearTimeout(cutoff);
  }

  private status(s: ProxySession): ProxyStatus {
    const desired = this.distributor.group(serviceKey(s.identity.service, s.identity.namespace))?.snapshot;
    const { identity } = s;
    return {
      id: s.id,
      service: identity.service,
      namespace: identity.namespace,
      instance: identity.instance,
      zone: identity.zone ?? null,
      labels: identity.labels,
      endpoint: identity.endpoint ? `${identity.endpoint.address}:${identity.endpoint.port}` : null,
      proxyVersion: identity.proxyVersion,
      connected: !s.disconnectedAt,
      connectedAt: s.connectedAt.toISOString(),
      lastSeen: new Date(s.lastSeen).toISOString(),
      appliedVersion: s.applied?.version ?? null,
      desiredVersion: desired?.version ?? null,
      inSync: !s.disconnectedAt && !!desired && s.applied?.digest === desired.digest,
      lastError: s.rejected ? `version ${s.rejected.version} refused: ${s.rejected.reason}` : null,
    };
  }

  private accept(ws: WebSocket): void {
    let session: ProxySession | undefined;
    const helloTimer = setTimeout(() => ws.close(4000, 'expected a hello message first'), this.options.helloTimeoutMs ?? 10_000);
    ws.on('message', (data: Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        ws.send(JSON.stringify({ type: 'error', message: 'messages must be JSON' }));
        return;
      }
      const parsed = proxyMessage.safeParse(json);
      if (!parsed.success) {
        const message = `invalid ${(json as { type?: string })?.type ?? ''} message: ${describeErrors(formatIssues(parsed.error.issues))}`;
        ws.send(JSON.stringify({ type: 'error', message }));
        if (!session) ws.close(4001, 'invalid hello');
        return;
      }
      const msg = parsed.data;
      if (!session) {
        if (msg.type !== 'hello') {
          ws.send(JSON.stringify({ type: 'error', message: 'expected a hello message first' }));
          ws.close(4000, 'expected hello');
          return;
        }
        clearTimeout(helloTimer);
        session = this.hello(ws, msg.proxy, msg.current);
        return;
      }
      session.lastSeen = Date.now();
      switch (msg.type) {
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong', at: Date.now() }));
          break;
        case 'ack': {
          const elapsed = session.ack(msg.version);
          if (elapsed !== undefined) this.metrics.pushToAck.observe(elapsed / 1000);
          this.metrics.acks.inc();
          this.emit('ack', session, msg.version);
          break;
        }
        case 'nack':
          session.nack(msg.version, msg.reason);
          this.metrics.nacks.inc();
          this.emit('nack', session, msg.version, msg.reason);
          break;
        case 'metrics':
          this.emit('metrics', session, msg.report satisfies MetricsReport);
          break;
        case 'spans':
          this.emit('spans', session, msg.spans satisfies Span[]);
          break;
        case 'hello':
          ws.send(JSON.stringify({ type: 'error', message: 'hello was already received on this connection' }));
          break;
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (session) this.departure(session);
    });
    ws.on('error', () => ws.terminate());
  }

  private hello(ws: WebSocket, identity: ProxySession['identity'], current: { version: number; digest: string } | undefined): ProxySession {
    // A proxy reconnecting before its old connection was noticed dead replaces it.
    const previous = this.sessions.get(identity.instance);
    if (previous) {
      this.sessions.delete(identity.instance);
      previous.terminate();
    }
    this.departed.delete(identity.instance);
    const session = new ProxySession(identity, ws, () => this.metrics.pushes.inc());
    session.adoptReported(current);
    this.sessions.set(identity.instance, session);
    this.metrics.connected.set(this.sessions.size);
    if (identity.endpoint) {
      this.registry.upsert({
        service: identity.service,
        namespace: identity.namespace,
        source: 'proxy',
        address: identity.endpoint.address,
        port: identity.endpoint.port,
        labels: identity.labels,
        instance: identity.instance,
        ...(identity.zone ? { zone: identity.zone } : {}),
      });
    }
    void this.distributor.join(identity.service, identity.namespace, session);
    this.emit('hello', session);
    return session;
  }

  private departure(session: ProxySession): void {
    const { identity } = session;
    if (this.sessions.get(identity.instance) !== session) return;
    this.sessions.delete(identity.instance);
    this.metrics.connected.set(this.sessions.size);
    this.distributor.leave(identity.service, identity.namespace, session);
    session.disconnectedAt = new Date();
    this.departed.set(identity.instance, session);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.departed.get(identity.instance) !== session) return;
      this.departed.delete(identity.instance);
      if (identity.endpoint && !this.sessions.has(identity.instance)) {
        this.registry.remove({ service: identity.service, namespace: identity.namespace, source: 'proxy', ...identity.endpoint });
      }
    }, this.options.endpointGraceMs);
    this.timers.add(timer);
  }
}
