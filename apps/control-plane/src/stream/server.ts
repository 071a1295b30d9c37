import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  HEARTBEAT_INTERVAL_MS,
  STREAM_CLOSE,
  describeErrors,
  formatIssues,
  proxyMessage,
  type HelloMessage,
  type MetricsReport,
  type ProxyMessage,
  type Span,
  type TrustBundle,
} from '@trellis/shared';
import type { ConfigDistributor } from '../compiler/distributor.ts';
import type { EndpointJournal } from '../discovery/endpoint-journal.ts';
import { serviceKey, type EndpointRegistry } from '../discovery/registry.ts';
import { CsrError } from '../identity/ca.ts';
import type { IdentityService } from '../identity/service.ts';
import type { ControlPlaneMetrics } from '../metrics.ts';
import { ProxySession } from './session.ts';
import { ownEdges, ownSpans } from './telemetry-guard.ts';

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
  /** The SPIFFE ID it authenticated as. */
  identity: string;
  /** Its certificate: the root it chains to and its expiry; null when it has none (it cannot do mTLS). */
  certificate: { rootId: string; notAfter: string } | null;
  /** The trust bundle version it acknowledged. */
  bundleVersion: number;
  /** How far its clock is ahead of the control plane's (ms), from its heartbeats; null before the first. */
  clockSkewMs: number | null;
  /** Whether its app answers the proxy's readiness probe (a proxy whose app does not is not given to callers). */
  ready: boolean;
  notReadyReason: string | null;
}

/**
 * The proxy stream (wss at STREAM_PATH): authenticate -> certificate -> snapshot -> ACK/NACK,
 * heartbeats, renewals, trust bundles, telemetry. Nothing is sent to a proxy, and its endpoint is not
 * registered, before it proves who it is (a client certificate of ours, or a join token). Proxy hellos
 * are also a discovery source: a proxy's endpoint joins its service while it is connected and leaves
 * `endpointGraceMs` after it disconnects. Events: 'metrics' (session, report), 'spans' (session, spans),
 * 'scale-up' (session, "name.namespace"), 'hello', 'ack', 'nack', 'bundle-ack', 'certificate', 'departed' (session).
 */
export class StreamServer extends EventEmitter {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
  private readonly sessions = new Map<string, ProxySession>();
  /** Disconnected proxies, shown for the grace period. */
  private readonly departed = new Map<string, ProxySession>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Set by close(): the proxies it disconnects then get no grace timer (one would hold the process for the grace period). */
  private closing = false;
  private readonly sweeper: NodeJS.Timeout;
  /**
   * Whether another control-plane replica holds this proxy now (it moved there): its endpoint then stays
   * when the grace period here ends. Set by replication/; one control plane alone holds nothing elsewhere.
   */
  heldElsewhere: (instance: string) => boolean = () => false;

  constructor(
    private readonly distributor: ConfigDistributor,
    private readonly registry: EndpointRegistry,
    private readonly identity: IdentityService,
    private readonly metrics: ControlPlaneMetrics,
    private readonly options: StreamServerOptions,
    /** Where announced endpoints are kept for the next start. */
    private readonly journal?: EndpointJournal,
  ) {
    super();
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
    // A proxy silent for three heartbeats is gone even if its TCP connection has not noticed.
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - HEARTBEAT_INTERVAL_MS * 3;
      for (const s of this.sessions.values()) if (s.lastSeen < cutoff) s.terminate();
    }, HEARTBEAT_INTERVAL_MS);
    this.sweeper.unref();
    identity.on('bundle', (bundle: TrustBundle) => this.broadcastBundle(bundle));
  }

  /** Every proxy connected now, and those that left within the grace period. */
  list(): ProxyStatus[] {
    return [...this.sessions.values(), ...this.departed.values()].map((s) => this.status(s)).sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance),
    );
  }

  /** The proxies connected now. */
  connected(): ProxySession[] {
    return [...this.sessions.values()];
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  /**
   * Cuts off the proxies that joined with a join token (or hold a certificate descending from it), which
   * was just revoked here or on another replica; returns how many.
   */
  disconnectToken(tokenId: string): number {
    const dropped = [...this.sessions.values()].filter((s) => s.who.tokenId === tokenId);
    for (const s of dropped) {
      s.send({ type: 'error', code: 'unauthenticated', message: `join token ${tokenId} was revoked` });
      s.close(STREAM_CLOSE.unauthenticated, 'join token revoked');
    }
    return dropped.length;
  }

  /** Asks every connected proxy for a new certificate now (a rotation switched the issuing root). */
  requestRenewal(reason: string, only?: (s: ProxySession) => boolean): void {
    for (const s of this.sessions.values()) if (!only || only(s)) s.send({ type: 'renew', reason });
  }

  async close(): Promise<void> {
    this.closing = true;
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

  private broadcastBundle(trustBundle: TrustBundle): void {
    for (const s of this.sessions.values()) s.send({ type: 'trust-bundle', trustBundle });
  }

  private status(s: ProxySession): ProxyStatus {
    const desired = this.distributor.group(s.serviceKey)?.snapshot;
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
      identity: s.who.identity,
      certificate: s.certificate ? { rootId: s.certificate.rootId, notAfter: s.certificate.notAfter.toISOString() } : null,
      bundleVersion: s.bundleVersion,
      clockSkewMs: s.clockSkewMs ?? null,
      ready: s.ready,
      notReadyReason: s.notReadyReason ?? null,
    };
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const socket = req.socket instanceof TLSSocket ? req.socket : undefined;
    let session: ProxySession | undefined;
    let authenticating = false;
    const helloTimer = setTimeout(() => ws.close(4000, 'expected a hello message first'), this.options.helloTimeoutMs ?? 10_000);
    const error = (message: string, code?: 'unauthenticated' | 'forbidden' | 'invalid') => ws.send(JSON.stringify({ type: 'error', message, ...(code ? { code } : {}) }));
    ws.on('message', (data: Buffer) => {
      let json: unknown;
      try {
        json = JSON.parse(data.toString('utf8'));
      } catch {
        error('messages must be JSON', 'invalid');
        return;
      }
      const parsed = proxyMessage.safeParse(json);
      if (!parsed.success) {
        const message = `invalid ${(json as { type?: string })?.type ?? ''} message: ${describeErrors(formatIssues(parsed.error.issues))}`;
        error(message, 'invalid');
        if (!session && !authenticating) ws.close(4001, 'invalid hello');
        return;
      }
      const msg = parsed.data;
      if (!session) {
        // Until the hello is checked nothing else is taken (heartbeats that race it are dropped).
        if (authenticating) return;
        if (msg.type !== 'hello') {
          error('expected a hello message first', 'invalid');
          ws.close(4000, 'expected hello');
          return;
        }
        clearTimeout(helloTimer);
        authenticating = true;
        this.hello(ws, socket, msg).then(
          (s) => {
            session = s;
            authenticating = false;
          },
          (err: Error) => {
            error(`the control plane could not take this proxy: ${err.message}`);
            ws.close(1011, 'internal error');
          },
        );
        return;
      }
      session.lastSeen = Date.now();
      void this.onMessage(session, msg);
    });
    ws.on('close', (code: number) => {
      clearTimeout(helloTimer);
      // 1000: the proxy said goodbye (it is stopping); anything else may be a blip it comes back from.
      if (session) this.departure(session, code === 1000);
    });
    ws.on('error', () => ws.terminate());
  }

  private async onMessage(session: ProxySession, msg: ProxyMessage): Promise<void> {
    switch (msg.type) {
      case 'ping': {
        const now = Date.now();
        session.clockSkewMs = msg.at - now;
        session.send({ type: 'pong', at: now });
        break;
      }
      case 'ack': {
        const elapsed = session.ack(msg.version);
        if (elapsed !== undefined) this.metrics.pushToAck.observe(elapsed / 1000);
        this.metrics.acks.inc();
        this.distributor.answered(session.who.service, session.who.namespace, session);
        this.emit('ack', session, msg.version);
        break;
      }
      case 'nack':
        session.nack(msg.version, msg.reason);
        this.metrics.nacks.inc();
        this.distributor.answered(session.who.service, session.who.namespace, session);
        this.emit('nack', session, msg.version, msg.reason);
        break;
      case 'metrics': {
        const { kept, refused } = ownEdges(session, msg.report);
        if (refused > 0) this.metrics.telemetryRefused.inc({ kind: 'edge' }, refused);
        this.emit('metrics', session, { ...msg.report, edges: kept } satisfies MetricsReport);
        break;
      }
      case 'spans': {
        const { kept, refused } = ownSpans(session, msg.spans);
        if (refused > 0) this.metrics.telemetryRefused.inc({ kind: 'span' }, refused);
        this.emit('spans', session, kept satisfies Span[]);
        break;
      }
      case 'csr':
        await this.issue(session, msg.csr);
        break;
      case 'bundle-ack':
        session.bundleVersion = msg.version;
        this.emit('bundle-ack', session);
        break;
      case 'readiness':
        session.ready = msg.ready;
        session.notReadyReason = msg.ready ? undefined : (msg.reason ?? 'its app does not answer');
        this.announce(session);
        this.emit('readiness', session);
        break;
      case 'scale-up':
        this.emit('scale-up', session, serviceKey(msg.service, msg.namespace));
        break;
      case 'hello':
        session.send({ type: 'error', message: 'hello was already received on this connection', code: 'invalid' });
        break;
    }
  }

  /** Authenticates the proxy, gives it a certificate (when it asked) or the trust bundle, then registers it. */
  private async hello(ws: WebSocket, socket: TLSSocket | undefined, msg: HelloMessage): Promise<ProxySession | undefined> {
    const began = performance.now();
    const claimed = msg.proxy;
    const refuse = (code: 'unauthenticated' | 'forbidden', reason: string, message: string) => {
      this.metrics.streamRefusals.inc({ reason });
      ws.send(JSON.stringify({ type: 'error', code, message }));
      ws.close(STREAM_CLOSE[code], message.slice(0, 120));
      this.emit('refused', { instance: claimed.instance, service: claimed.service, namespace: claimed.namespace, reason, message });
      return undefined;
    };
    const auth = await this.identity.authenticate(socket, msg.credential, claimed);
    if (!auth.ok) return refuse(auth.code, auth.reason, auth.message);
    const { who } = auth;
    // An instance name is taken by the first service that connects with it: another service's proxy
    // cannot push it out by claiming the same name.
    const previous = this.sessions.get(claimed.instance);
    if (previous && previous.serviceKey !== serviceKey(who.service, who.namespace)) {
      return refuse('forbidden', 'instance-taken', `instance "${claimed.instance}" is connected as ${previous.serviceKey}; choose another --instance`);
    }
    if (ws.readyState !== ws.OPEN) return undefined;
    const session = new ProxySession(claimed, who, ws, () => this.metrics.pushes.inc());
    session.ready = msg.ready;
    if (!msg.ready) session.notReadyReason = 'its app does not answer yet';
    if (socket && who.via === 'certificate') {
      const cert = socket.getPeerCertificate(true);
      const rootId = this.identity.ca.rootOf(`-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64')}\n-----END CERTIFICATE-----`);
      if (rootId) session.certificate = { rootId, notAfter: new Date(cert.valid_to) };
    }
    if (msg.csr) {
      if (!(await this.issue(session, msg.csr))) return undefined;
    } else {
      session.send({ type: 'trust-bundle', trustBundle: this.identity.ca.bundle() });
    }
    if (ws.readyState !== ws.OPEN) return undefined;
    // A revocation while this hello was answered (its token read, its certificate signed) had no session
    // of it to cut off: checked here, in the same turn as the registration, so none slips between.
    if (who.tokenId !== null && this.identity.tokens.revokedSince(who.tokenId, began)) {
      return refuse('unauthenticated', 'token-revoked', `join token ${who.tokenId} was revoked while this proxy was joining`);
    }
    return this.register(session, msg.current);
  }

  /** Signs a CSR for the session's identity and sends the certificate; false when it was refused. */
  private async issue(session: ProxySession, csr: string): Promise<boolean> {
    try {
      const issued = await this.identity.issue(csr, session.who, session.identity.instance);
      session.certificate = { rootId: issued.rootId, notAfter: new Date(issued.certificate.notAfter) };
      session.send({ type: 'certificate', certificate: issued.certificate, trustBundle: issued.trustBundle });
      this.metrics.certificatesIssued.inc();
      this.emit('certificate', session);
      return true;
    } catch (err) {
      if (!(err instanceof CsrError)) throw err;
      session.send({ type: 'error', code: 'invalid', message: err.message });
      return false;
    }
  }

  private register(session: ProxySession, current: { version: number; digest: string } | undefined): ProxySession {
    const { identity, who } = session;
    // A proxy reconnecting before its old connection was noticed dead replaces it.
    const previous = this.sessions.get(identity.instance);
    if (previous) {
      this.sessions.delete(identity.instance);
      previous.terminate();
    }
    this.departed.delete(identity.instance);
    session.adoptReported(current);
    this.sessions.set(identity.instance, session);
    this.metrics.connected.set(this.sessions.size);
    this.announce(session);
    void this.distributor.join(who.service, who.namespace, session);
    this.emit('hello', session);
    return session;
  }

  /** Puts the proxy's endpoint in its service while its app is ready, takes it out while it is not. */
  private announce(session: ProxySession): void {
    const { identity, who } = session;
    if (!identity.endpoint) return;
    const endpoint = { service: who.service, namespace: who.namespace, source: 'proxy' as const, address: identity.endpoint.address, port: identity.endpoint.port };
    if (!session.ready) {
      this.registry.remove(endpoint);
      this.journal?.forget(identity.instance);
      return;
    }
    const announced = {
      ...endpoint,
      labels: identity.labels,
      instance: identity.instance,
      // Callers connect with mTLS and expect this identity only when the proxy holds a certificate.
      ...(session.certificate ? { identity: who.identity } : {}),
      ...(identity.zone ? { zone: identity.zone } : {}),
    };
    this.registry.upsert(announced);
    this.journal?.save(announced);
  }

  /** True when a proxy with this instance name is connected now. */
  isConnected(instance: string): boolean {
    return this.sessions.has(instance);
  }

  private departure(session: ProxySession, saidGoodbye: boolean): void {
    const { identity, who } = session;
    if (this.sessions.get(identity.instance) !== session) return;
    this.sessions.delete(identity.instance);
    this.metrics.connected.set(this.sessions.size);
    this.distributor.leave(who.service, who.namespace, session);
    session.disconnectedAt = new Date();
    this.departed.set(identity.instance, session);
    this.emit('departed', session);
    // A proxy that is stopping leaves its service at once; one that vanished keeps its place for the grace
    // period (callers set it aside by themselves if it really is gone).
    if (saidGoodbye && identity.endpoint) {
      this.registry.remove({ service: who.service, namespace: who.namespace, source: 'proxy', ...identity.endpoint });
      this.journal?.forget(identity.instance);
    }
    // Stopping: the sessions close() ends leave the endpoints as they are (the journal keeps them for
    // the next start), and a timer would keep this process alive for the grace period (10 s by default,
    // past `trellis up`'s 8 s before it kills what has not stopped).
    if (this.closing) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.departed.get(identity.instance) !== session) return;
      this.departed.delete(identity.instance);
      if (identity.endpoint && !this.sessions.has(identity.instance) && !this.heldElsewhere(identity.instance)) {
        this.registry.remove({ service: who.service, namespace: who.namespace, source: 'proxy', ...identity.endpoint });
        this.journal?.forget(identity.instance);
      }
    }, this.options.endpointGraceMs);
    this.timers.add(timer);
  }
}
