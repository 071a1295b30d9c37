import { EventEmitter } from 'node:events';
import type { RequestOptions } from 'node:https';
import { createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureContext } from 'node:tls';
import WebSocket, { type ClientOptions } from 'ws';
import {
  CONTROL_PLANE_NAMESPACE,
  CONTROL_PLANE_SERVICE_ACCOUNT,
  HEARTBEAT_INTERVAL_MS,
  STREAM_PATH,
  STREAM_PROTOCOL_VERSION,
  controlMessage,
  describeErrors,
  formatIssues,
  parseSpiffeId,
  snapshotSchema,
  type ControlMessage,
  type ProxyIdentity,
  type ProxyMessage,
  type Snapshot,
} from '@trellis/shared';
import { spiffeIdOf } from '@trellis/shared/node';
import { backoffDelay } from './backoff.ts';
import { pinnedRoots } from './bootstrap.ts';
import type { StreamCredentials } from './credentials.ts';
import { loadSnapshot, saveSnapshot } from './disk-cache.ts';
import type { SnapshotMemo } from './snapshot-memo.ts';

/**
 * The control plane's certificate must carry its SPIFFE ID (any trust domain: the root it chains to is
 * already the one we trust). Host names are not checked, so the control plane can be reached by any address.
 */
function checkControlPlane(_host: string, cert: PeerCertificate): Error | undefined {
  const parts = parseSpiffeId(spiffeIdOf(cert) ?? '');
  if (parts?.namespace === CONTROL_PLANE_NAMESPACE && parts.serviceAccount === CONTROL_PLANE_SERVICE_ACCOUNT) return undefined;
  return new Error(`the server's certificate is not the Trellis control plane's (${cert.subjectaltname ?? 'no subjectAltName'})`);
}

/** Contexts that only trust roots (a proxy's first connection, before it has a certificate), by their PEMs. */
const rootsContexts = new Map<string, SecureContext>();
const MAX_ROOTS_CONTEXTS = 4;

/**
 * A context trusting `roots` and presenting nothing, shared by every client that trusts the same roots:
 * each workload of a node agent first connects with a join token and keeps that connection, whose own
 * context would cost ~25 KB of native memory per workload (2.5 MB at N = 100) for identical content. It
 * saves CPU too: building one per connection parsed the roots again each time, most of a simulated
 * proxy's CPU in a hello storm (bench:config-push).
 */
function rootsContext(roots: readonly string[]): SecureContext {
  const key = roots.join('\n');
  let context = rootsContexts.get(key);
  if (!context) {
    if (rootsContexts.size >= MAX_ROOTS_CONTEXTS) rootsContexts.delete(rootsContexts.keys().next().value ?? '');
    context = createSecureContext({ ca: [...roots] });
    rootsContexts.set(key, context);
  }
  return context;
}

export interface StreamClientOptions {
  /**
   * The control plane's base URL, e.g. http://127.0.0.1:7400 (the stream itself always uses TLS on that
   * port). Several replicas: their URLs separated by commas; the client stays on one while it answers and
   * moves to the next when a connection fails or drops.
   */
  controlPlane: string;
  identity: Omit<ProxyIdentity, 'namespace' | 'labels' | 'ports'> & Partial<Pick<ProxyIdentity, 'namespace' | 'labels' | 'ports'>>;
  /**
   * Swaps a snapshot in. Throwing refuses it: the client NACKs with the error's message and keeps the
   * snapshot it had. Called for the disk copy at start too.
   */
  apply: (snapshot: Snapshot, source: 'control-plane' | 'disk') => void | Promise<void>;
  /** Where the last good snapshot is kept, so a restart without a control plane still has config. */
  cacheFile?: string;
  log?: (line: string) => void;
  heartbeatMs?: number;
  /**
   * Runs the heartbeat on a timer shared with other clients in the process (a node agent's workloads
   * each have a stream: one wake-up per period for all of them); without it, a timer of its own.
   */
  ticker?: { every(ms: number, task: () => void): () => void };
  /** How the proxy proves who it is and keeps its certificate. */
  credentials: StreamCredentials;
  /** Snapshots other clients of this process validated, taken as they are when the same message comes (snapshot-memo.ts). */
  memo?: SnapshotMemo;
}

export type StreamState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * The proxy's side of the control-plane stream, over TLS. Events: 'state' (StreamState), 'applied'
 * (Snapshot), 'rejected' ({version, reason}), 'refused' (the control plane's reason for turning us away),
 * 'certificate' (IssuedCertificate).
 */
export class StreamClient extends EventEmitter {
  private ws: WebSocket | undefined;
  private current: Snapshot | undefined;
  private attempt = 0;
  private closed = false;
  private stopHeartbeat: (() => void) | undefined;
  /** The connection whose hello has been sent: only on it may other messages follow. */
  private greeted: WebSocket | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  /** The control-plane URLs, and which one the next connection goes to. */
  private readonly addresses: string[];
  private addressIndex = 0;
  private applying: Promise<void> = Promise.resolve();
  /** Whether the proxy's app answers its probe, as last told to the control plane. */
  private ready = true;
  state: StreamState = 'disconnected';

  constructor(private readonly options: StreamClientOptions) {
    super();
    this.addresses = controlPlaneAddresses(options.controlPlane);
    // Proxies of one service spread over the replicas instead of all starting on the first.
    this.addressIndex = Math.floor(Math.random() * this.addresses.length);
  }

  /** The control plane this client connects (or last connected) to. */
  get controlPlane(): string {
    return this.addresses[this.addressIndex % this.addresses.length] ?? this.options.controlPlane;
  }

  /** The snapshot in force, if any. */
  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /** Loads the disk copy (when there is one) and starts connecting; resolves once the disk copy is applied. */
  async start(): Promise<void> {
    const { cacheFile, log } = this.options;
    if (cacheFile) {
      const { snapshot, problem } = await loadSnapshot(cacheFile);
      if (problem) log?.(`ignoring the saved snapshot: ${problem}`);
      if (snapshot) {
        try {
          await this.options.apply(snapshot, 'disk');
          this.current = snapshot;
          this.emit('applied', snapshot);
          log?.(`serving saved snapshot version ${snapshot.version} from ${cacheFile} until the control plane answers`);
        } catch (err) {
          log?.(`the saved snapshot could not be applied: ${(err as Error).message}`);
        }
      }
    }
    this.connect();
  }

  /** Sends a telemetry message if connected; telemetry is best effort and is dropped otherwise. */
  send(message: ProxyMessage): boolean {
    const ws = this.ws;
    // Nothing goes before the hello: the control plane closes a stream whose first message is another.
    if (ws?.readyState !== WebSocket.OPEN || this.greeted !== ws) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  /** Certificates, bundles and renewal requests, applied in order with snapshots (a snapshot may need the new certificate). */
  private onIdentity(message: ControlMessage): Promise<void> {
    const { credentials } = this.options;
    switch (message.type) {
      case 'certificate':
        return Promise.resolve(credentials.installCertificate(message.certificate, message.trustBundle)).then(() => {
          this.send({ type: 'bundle-ack', version: message.trustBundle.version });
          this.emit('certificate', message.certificate);
        });
      case 'trust-bundle':
        return Promise.resolve(credentials.installBundle(message.trustBundle)).then(() => {
          this.send({ type: 'bundle-ack', version: message.trustBundle.version });
        });
      case 'renew':
        this.options.log?.(`control plane asked for a new certificate: ${message.reason}`);
        return this.renewCertificate().then(() => undefined);
      default:
        return Promise.resolve();
    }
  }

  /** Bytes waiting in the socket's buffer: senders can hold back when the control plane is slow. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat?.();
    this.setState('closed');
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'proxy stopping');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  private setState(state: StreamState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** Tells the control plane whether the app is ready (its endpoint is given to callers only when it is). */
  setReady(ready: boolean, reason?: string): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.send({ type: 'readiness', ready, ...(reason ? { reason } : {}) });
  }

  /** Sends a CSR for a new key now (renewal); false when not connected (the next hello carries one instead). */
  async renewCertificate(): Promise<boolean> {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    return this.send({ type: 'csr', csr: await this.options.credentials.renewalRequest() });
  }

  private connect(): void {
    if (this.closed) return;
    this.setState('connecting');
    void this.open().catch((err: Error) => {
      // Could not even try (no root to trust yet): log, and try again later like any failed connection.
      if (this.attempt === 0 || this.attempt % 10 === 0) this.options.log?.(`cannot connect to the control plane: ${err.message}`);
      this.retry();
    });
  }

  private retry(): void {
    if (this.closed) return;
    this.setState('disconnected');
    // A replica that failed or went away: the next attempt goes to another one.
    this.addressIndex = (this.addressIndex + 1) % this.addresses.length;
    const delay = backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private async open(): Promise<void> {
    const origin = new URL(this.controlPlane);
    const { credentials } = this.options;
    const roots = credentials.trustedRoots() ?? (await pinnedRoots(origin, credentials.credential()));
    if (this.closed) return;
    const url = new URL(STREAM_PATH, origin);
    url.protocol = 'wss:';
    const client = credentials.clientCertificate();
    // ws hands these to tls.connect; its own typing of checkServerIdentity is older than Node's.
    const context = client ? credentials.tlsContext?.() : undefined;
    const tlsOptions: RequestOptions & Pick<ConnectionOptions, 'secureContext'> = context
      ? { secureContext: context, checkServerIdentity: checkControlPlane }
      : client
        ? { ca: [...roots], cert: client.cert, key: client.key, checkServerIdentity: checkControlPlane }
        : { secureContext: rootsContext(roots), checkServerIdentity: checkControlPlane };
    const ws = new WebSocket(url, {
      handshakeTimeout: 5000,
      perMessageDeflate: false,
      // Frames go with a zero mask key, which ws sends without the XOR pass over each span batch: masking
      // (RFC 6455 §10.3) keeps a browser's script from writing bytes a caching proxy on the path might
      // misread, and no proxy reads inside this TLS connection. (About a tenth of what sending spans cost
      // in a profile; too little to show in a paired A/B, docs/BENCHMARKS.md.)
      generateMask: leaveUnmasked,
      ...(tlsOptions as ClientOptions),
    });
    this.ws = ws;
    ws.on('open', () => {
      this.lastHeard = Date.now();
      // 'connected' once the hello is out: until then telemetry, readiness and pings would go first.
      this.hello(ws, client !== undefined).catch((err: Error) => {
        // No key or CSR could be made: without a hello the control plane would close the stream anyway.
        this.options.log?.(`could not say hello to the control plane: ${err.message}; reconnecting`);
        ws.terminate();
      });
      const every = this.options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS;
      this.stopHeartbeat?.();
      this.stopHeartbeat = everyMs(this.options.ticker, every, () => {
        // Three missed heartbeats: the connection is dead even if TCP has not noticed.
        if (Date.now() - this.lastHeard > every * 3) ws.terminate();
        else this.send({ type: 'ping', at: Date.now() });
      });
    });
    ws.on('message', (data: Buffer) => {
      this.lastHeard = Date.now();
      this.onMessage(data.toString('utf8'));
    });
    ws.on('error', (err) => {
      if (this.state === 'connecting' && this.attempt === 0) this.options.log?.(`control plane unreachable at ${url.host}: ${err.message}`);
    });
    ws.on('close', () => {
      this.stopHeartbeat?.();
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.retry();
    });
  }

  /** Says who we are: the certificate already presented, or a credential; with a CSR when a certificate is due. */
  private async hello(ws: WebSocket, presentedCertificate: boolean): Promise<void> {
    const { identity, credentials } = this.options;
    const credential = presentedCertificate ? undefined : credentials.credential();
    const csr = await credentials.certificateRequest();
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    this.greeted = ws;
    this.send({
      type: 'hello',
      protocol: STREAM_PROTOCOL_VERSION,
      proxy: { namespace: 'default', labels: {}, ports: {}, ...identity },
      ...(this.current ? { current: { version: this.current.version, digest: this.current.digest } } : {}),
      ...(credential ? { credential } : {}),
      ...(csr ? { csr } : {}),
      ready: this.ready,
    });
    this.setState('connected');
  }

  private onMessage(text: string): void {
    const known = this.options.memo?.get(text);
    if (known) {
      this.attempt = 0;
      this.applying = this.applying.then(() => this.take(known));
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.options.log?.('control plane sent a message that is not JSON; ignored');
      return;
    }
    const type = (json as { type?: unknown })?.type;
    // The backoff resets only when the control plane answers, not when a socket merely opens: one that
    // accepts and then refuses us must not be hit again every few hundred milliseconds (Envoy does the same).
    if (type === 'snapshot' || type === 'pong') this.attempt = 0;
    if (type === 'snapshot') {
      // Snapshots are applied one at a time, in the order they came.
      this.applying = this.applying.then(() => this.onSnapshot((json as { snapshot?: unknown }).snapshot, text));
      return;
    }
    const parsed = controlMessage.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'error') {
      if (message.code === 'unauthenticated' || message.code === 'forbidden') {
        this.options.log?.(`control plane refused this proxy (${message.code}): ${message.message}`);
        this.emit('refused', message);
      } else {
        this.options.log?.(`control plane: ${message.message}`);
      }
      return;
    }
    if (message.type === 'certificate' || message.type === 'trust-bundle' || message.type === 'renew') {
      this.applying = this.applying.then(() =>
        this.onIdentity(message).catch((err: Error) => this.options.log?.(`could not take the ${message.type} message: ${err.message}`)),
      );
    }
  }

  /** A snapshot message: validated (and remembered in the memo, by `text`), then taken. */
  private onSnapshot(raw: unknown, text: string): Promise<void> {
    const version = typeof (raw as { version?: unknown })?.version === 'number' ? (raw as { version: number }).version : -1;
    const parsed = snapshotSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject(version, `invalid snapshot: ${describeErrors(formatIssues(parsed.error.issues))}`);
      return Promise.resolve();
    }
    return this.take(this.options.memo?.set(text, parsed.data) ?? parsed.data);
  }

  /** Applies a valid snapshot, then ACKs it (or NACKs what apply() refuses) and keeps it on disk. */
  private async take(snapshot: Snapshot): Promise<void> {
    try {
      await this.options.apply(snapshot, 'control-plane');
    } catch (err) {
      this.reject(snapshot.version, (err as Error).message);
      return;
    }
    this.current = snapshot;
    this.send({ type: 'ack', version: snapshot.version });
    this.emit('applied', snapshot);
    if (this.options.cacheFile) {
      await saveSnapshot(this.options.cacheFile, snapshot).catch((err: Error) =>
        this.options.log?.(`could not save the snapshot to ${this.options.cacheFile}: ${err.message}`),
      );
    }
  }

  private reject(version: number, reason: string): void {
    this.options.log?.(`refused snapshot version ${version}: ${reason}`);
    this.send({ type: 'nack', version, reason });
    this.emit('rejected', { version, reason });
  }
}

/** Runs `task` every `ms` on `ticker`, or on a timer of its own that does not keep the process alive. */
function everyMs(ticker: StreamClientOptions['ticker'], ms: number, task: () => void): () => void {
  if (ticker) return ticker.every(ms, task);
  const timer = setInterval(task, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** Splits "url1,url2" into its URLs (one URL is a list of one). */
export function controlPlaneAddresses(list: string): string[] {
  const addresses = list.split(',').map((a) => a.trim()).filter((a) => a !== '');
  return addresses.length > 0 ? addresses : [list];
}

/** ws's mask generator: all zeros, which ws recognises and skips the XOR for (the stream is always TLS). */
function leaveUnmasked(mask: Buffer): void {
  mask.fill(0);
}
