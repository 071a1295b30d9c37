import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { STREAM_PATH, STREAM_PROTOCOL_VERSION, TRUST_BUNDLE_PATH, proxyMessage, type ProxyMessage, type Snapshot } from '@trellis/shared';
import { SnapshotMemo, StreamClient, loadSnapshot, saveSnapshot, type StreamClientOptions, type StreamCredentials, type StreamState } from '../src/index.ts';
import { snapshot } from './fixtures.ts';
import { CONTROL_PLANE_ID, testPki, type TestPki } from './pki.ts';

let pki: TestPki;
let serving: { key: string; cert: string };

/** Credentials that trust the test root and hold no certificate of their own. */
function trusting(roots: string[] | undefined, overrides: Partial<StreamCredentials> = {}): StreamCredentials {
  return {
    trustedRoots: () => roots,
    clientCertificate: () => undefined,
    credential: () => undefined,
    certificateRequest: () => Promise.resolve(undefined),
    renewalRequest: () => Promise.resolve('csr'),
    installCertificate: () => undefined,
    installBundle: () => undefined,
    ...overrides,
  };
}

type Received = { socket: WebSocket; message: ProxyMessage };
type Waiter = { match: (r: Received) => boolean; resolve: (r: Received) => void };

/**
 * A minimal control plane speaking the stream protocol over a real WebSocket server: it validates every
 * message the client sends with the shared schema, and by default answers a hello with `onHello`.
 */
class FakeControlPlane {
  readonly received: Received[] = [];
  readonly sockets = new Set<WebSocket>();
  private waiters: Waiter[] = [];
  /** What to do when a proxy says hello; by default nothing (tests send snapshots themselves). */
  onHello: (socket: WebSocket, hello: Extract<ProxyMessage, { type: 'hello' }>) => void = () => {};

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly https: https.Server,
    readonly port: number,
    readonly roots: string[],
  ) {
    wss.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('message', (data) => {
        // Everything the client sends must be a valid proxy message.
        const message = proxyMessage.parse(JSON.parse(String(data)));
        const r = { socket, message };
        this.received.push(r);
        if (message.type === 'hello') this.onHello(socket, message);
        this.waiters = this.waiters.filter((w) => (w.match(r) ? (w.resolve(r), false) : true));
      });
    });
  }

  /** Over TLS, with the control plane's identity from `cert` (the test CA's by default); serves its roots at /v1/trust-bundle. */
  static async start(port = 0, cert = serving, roots = [pki.root]): Promise<FakeControlPlane> {
    const server = https.createServer({ ...cert }, (req, res) => {
      if (req.url === TRUST_BUNDLE_PATH) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: 1, roots }));
      else res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server, path: STREAM_PATH });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return new FakeControlPlane(wss, server, address.port, roots);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next message of `type` (counting from now, or any already received when `past` is true). */
  next<T extends ProxyMessage['type']>(
    type: T,
    where: (m: Extract<ProxyMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<{ socket: WebSocket; message: Extract<ProxyMessage, { type: T }> }> {
    const match = (r: Received) => r.message.type === type && where(r.message as Extract<ProxyMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as { socket: WebSocket; message: Extract<ProxyMessage, { type: T }> });
        },
      });
    });
  }

  all<T extends ProxyMessage['type']>(type: T): Extract<ProxyMessage, { type: T }>[] {
    return this.received.filter((r) => r.message.type === type).map((r) => r.message as Extract<ProxyMessage, { type: T }>);
  }

  send(socket: WebSocket, message: unknown): void {
    socket.send(JSON.stringify(message));
  }

  /** Drops every connection the way a crashed control plane or a broken network does. */
  dropAll(): void {
    for (const s of this.sockets) s.terminate();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.https.closeAllConnections();
    await new Promise<void>((resolve) => this.https.close(() => resolve()));
  }
}

/** A port with nothing listening on it (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('StreamClient against a WebSocket control plane', () => {
  beforeAll(async () => {
    pki = await testPki('test root');
    serving = await pki.leaf(CONTROL_PLANE_ID);
  });

  let dir: string;
  let cacheFile: string;
  let server: FakeControlPlane | undefined;
  let client: StreamClient | undefined;
  let applied: { snapshot: Snapshot; source: 'control-plane' | 'disk' }[];
  let states: StreamState[];
  let logs: string[];
  /** Lets a test make apply() refuse a snapshot. */
  let refuse: (s: Snapshot) => string | undefined;

  const newClient = (controlPlane: string, options: Partial<StreamClientOptions> = {}) => {
    const c = new StreamClient({
      controlPlane,
      identity: { service: 'frontend', instance: 'frontend-1', zone: 'a', labels: { version: 'v1' }, proxyVersion: 'test' },
      apply: (s, source) => {
        const reason = refuse(s);
        if (reason) throw new Error(reason);
        applied.push({ snapshot: s, source });
      },
      cacheFile,
      log: (line) => logs.push(line),
      credentials: trusting([pki.root]),
      ...options,
    });
    c.on('state', (s: StreamState) => states.push(s));
    client = c;
    return c;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trellis-stream-client-'));
    cacheFile = path.join(dir, 'snapshot.json');
    applied = [];
    states = [];
    logs = [];
    refuse = () => undefined;
    server = undefined;
    client = undefined;
  });

  afterEach(async () => {
    await client?.close();
    await server?.close();
    // A snapshot ACKed just before the end may still be being saved: let that finish first.
    const version = client?.snapshot?.version;
    if (version !== undefined) await until(async () => (await loadSnapshot(cacheFile)).snapshot?.version === version, 1000).catch(() => {});
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  });

  it('says hello, applies the snapshot it gets, ACKs its version and keeps it on disk', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket) => cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    const hello = cp.next('hello');
    const ack = cp.next('ack');
    const c = newClient(cp.url);
    await c.start();

    const { message } = await hello;
    expect(message).toEqual({
      type: 'hello',
      protocol: STREAM_PROTOCOL_VERSION,
      proxy: { service: 'frontend', namespace: 'default', instance: 'frontend-1', zone: 'a', labels: { version: 'v1' }, ports: {}, proxyVersion: 'test' },
      ready: true,
    });
    expect((await ack).message).toEqual({ type: 'ack', version: 1 });
    expect(applied).toEqual([{ snapshot: snapshot(1), source: 'control-plane' }]);
    expect(c.snapshot?.version).toBe(1);
    expect(c.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    await until(async () => (await loadSnapshot(cacheFile)).snapshot?.version === 1);
  });

  it('NACKs an invalid snapshot with the field that is wrong, and keeps serving the old one', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket) => cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    const firstAck = cp.next('ack');
    const c = newClient(cp.url);
    const rejected: { version: number; reason: string }[] = [];
    c.on('rejected', (r: { version: number; reason: string }) => rejected.push(r));
    await c.start();
    const { socket } = await firstAck;

    const nack = cp.next('nack');
    cp.send(socket, { type: 'snapshot', snapshot: { ...snapshot(2), tracing: { sampling: 2 } } });
    const { message } = await nack;
    expect(message.version).toBe(2);
    expect(message.reason).toMatch(/^invalid snapshot: tracing\.sampling: /);
    expect(rejected).toEqual([{ version: 2, reason: message.reason }]);
    expect(applied.map((a) => a.snapshot.version)).toEqual([1]);
    expect(c.snapshot?.version).toBe(1);
    expect(cp.all('ack').map((a) => a.version)).toEqual([1]);
    expect((await loadSnapshot(cacheFile)).snapshot?.version).toBe(1);
  });

  it('NACKs a snapshot apply() throws on, with its message, and keeps the old snapshot', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket) => cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    const firstAck = cp.next('ack');
    refuse = (s) => (s.version === 2 ? 'route "default" of reviews has no endpoints in zone a' : undefined);
    const c = newClient(cp.url);
    await c.start();
    const { socket } = await firstAck;

    const nack = cp.next('nack');
    cp.send(socket, { type: 'snapshot', snapshot: snapshot(2) });
    expect((await nack).message).toEqual({ type: 'nack', version: 2, reason: 'route "default" of reviews has no endpoints in zone a' });
    expect(c.snapshot?.version).toBe(1);
    expect((await loadSnapshot(cacheFile)).snapshot?.version).toBe(1);

    // The next good snapshot is taken as usual.
    const ack = cp.next('ack');
    cp.send(socket, { type: 'snapshot', snapshot: snapshot(3) });
    expect((await ack).message.version).toBe(3);
    expect(c.snapshot?.version).toBe(3);
  });

  it('applies snapshots one at a time, in the order they came, even when apply() is slow', async () => {
    const cp = (server = await FakeControlPlane.start());
    const versions: number[] = [];
    let inside = 0;
    const c = newClient(cp.url, {
      apply: async (s) => {
        inside++;
        expect(inside).toBe(1);
        await new Promise((r) => setTimeout(r, s.version === 1 ? 40 : 5));
        versions.push(s.version);
        inside--;
      },
    });
    cp.onHello = (socket) => {
      for (const v of [1, 2, 3]) cp.send(socket, { type: 'snapshot', snapshot: snapshot(v) });
    };
    const third = cp.next('ack', (m) => m.version === 3);
    await c.start();
    await third;
    expect(versions).toEqual([1, 2, 3]);
    expect(cp.all('ack').map((a) => a.version)).toEqual([1, 2, 3]);
    expect(c.snapshot?.version).toBe(3);
  });

  it('ignores messages that are not JSON and keeps going', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket) => {
      socket.send('this is not json');
      cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    };
    const ack = cp.next('ack');
    await newClient(cp.url).start();
    expect((await ack).message.version).toBe(1);
    expect(logs.some((l) => /not JSON/.test(l))).toBe(true);
  });

  it('reconnects after the control plane drops the connection, saying which version it runs', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket, hello) => {
      if (!hello.current) cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    };
    const ack = cp.next('ack');
    const c = newClient(cp.url);
    await c.start();
    await ack;

    const again = cp.next('hello');
    cp.dropAll();
    const { message } = await again;
    expect(message.current).toEqual({ version: 1, digest: 'digest-1' });
    await until(() => c.state === 'connected');
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
    // Nothing was resent, nothing re-applied: the proxy kept its snapshot across the reconnect.
    expect(applied).toHaveLength(1);
    expect(c.snapshot?.version).toBe(1);
  });

  it('starts from the disk copy when nothing is listening, then connects once the control plane is up', async () => {
    await saveSnapshot(cacheFile, snapshot(7));
    const port = await freePort();
    const c = newClient(`http://127.0.0.1:${port}`);
    await c.start();
    // start() resolves once the disk copy is in force, without waiting for the control plane.
    expect(applied).toEqual([{ snapshot: snapshot(7), source: 'disk' }]);
    expect(c.snapshot?.version).toBe(7);
    await until(() => states.includes('disconnected'));
    expect(c.state).not.toBe('connected');
    expect(logs.some((l) => l.includes('unreachable'))).toBe(true);

    const cp = (server = await FakeControlPlane.start(port));
    const { message, socket } = await cp.next('hello');
    expect(message.current).toEqual({ version: 7, digest: 'digest-7' });
    const ack = cp.next('ack');
    cp.send(socket, { type: 'snapshot', snapshot: snapshot(8) });
    expect((await ack).message.version).toBe(8);
    expect(applied.map((a) => [a.snapshot.version, a.source])).toEqual([
      [7, 'disk'],
      [8, 'control-plane'],
    ]);
  });

  it('ignores a corrupt disk copy (logging why) and starts with no snapshot', async () => {
    await writeFile(cacheFile, '{"version": 7, "dig');
    const c = newClient(`http://127.0.0.1:${await freePort()}`);
    await expect(c.start()).resolves.toBeUndefined();
    expect(c.snapshot).toBeUndefined();
    expect(applied).toEqual([]);
    expect(logs.some((l) => /ignoring the saved snapshot: .*not JSON/.test(l))).toBe(true);
  });

  it('does not serve a disk copy that apply() refuses', async () => {
    await saveSnapshot(cacheFile, snapshot(7));
    refuse = () => 'made by an incompatible control plane';
    const c = newClient(`http://127.0.0.1:${await freePort()}`);
    await c.start();
    expect(c.snapshot).toBeUndefined();
    expect(logs.some((l) => l.includes('made by an incompatible control plane'))).toBe(true);
  });

  it('sends heartbeats, and reconnects when a connected control plane falls silent', async () => {
    const cp = (server = await FakeControlPlane.start());
    // This control plane accepts the connection and then never says anything: no snapshot, no pong.
    const c = newClient(cp.url, { heartbeatMs: 30 });
    const ping = cp.next('ping');
    await c.start();
    await ping;
    const second = cp.next('hello', () => true, 2000);
    await second;
    expect(cp.all('hello')).toHaveLength(2);
    expect(states.slice(0, 3)).toEqual(['connecting', 'connected', 'disconnected']);
  });

  it('sends nothing before its hello while the hello waits for a new key (the control plane would close the stream)', async () => {
    const cp = (server = await FakeControlPlane.start());
    // A heartbeat due before the hello can go, readiness changing, and a CSR that takes 150 ms (a key made
    // on a busy node); the silent control plane is given up on only after 300 ms.
    const c = newClient(cp.url, {
      heartbeatMs: 100,
      credentials: trusting([pki.root], { certificateRequest: () => new Promise((r) => setTimeout(() => r('csr'), 150)) }),
    });
    const hello = cp.next('hello');
    await c.start();
    await until(() => cp.sockets.size === 1);
    c.setReady(false, 'app not answering');
    expect(c.send({ type: 'ping', at: Date.now() })).toBe(false);
    expect(c.state).toBe('connecting');
    await hello;
    await cp.next('ping');
    expect(cp.received[0]?.message.type).toBe('hello');
    expect(c.state).toBe('connected');
  });

  it('reconnects, saying why, when no hello can be made (the key or CSR failed), instead of an unhandled rejection', async () => {
    const cp = (server = await FakeControlPlane.start());
    let tries = 0;
    const c = newClient(cp.url, {
      credentials: trusting([pki.root], { certificateRequest: () => (++tries === 1 ? Promise.reject(new Error('no entropy')) : Promise.resolve('csr')) }),
    });
    const hello = cp.next('hello');
    await c.start();
    expect((await hello).message).toMatchObject({ type: 'hello', csr: 'csr' });
    expect(tries).toBe(2);
    expect(logs.join('\n')).toContain('could not say hello to the control plane: no entropy; reconnecting');
  });

  // The backoff resets only once the control plane has answered: one that accepts and then refuses the
  // proxy (an invalid hello gets an error and close 4001; a second proxy with the same instance id
  // terminates the first) must not be hit every 125-250 ms forever, by every such proxy (Envoy resets its
  // xDS backoff only when a message arrives).
  it('keeps backing off when the control plane refuses it right after every connect', async () => {
    const cp = (server = await FakeControlPlane.start());
    const helloAt: number[] = [];
    cp.onHello = (socket) => {
      helloAt.push(performance.now());
      cp.send(socket, { type: 'error', message: 'invalid hello: proxy.labels: bad label' });
      socket.close(4001, 'invalid hello');
    };
    await newClient(cp.url).start();
    await until(() => helloAt.length >= 4, 4000);
    const gaps = helloAt.slice(1).map((t, i) => t - (helloAt[i] ?? t));
    // Without backoff the gaps stay at 125-250 ms; with it, the third wait is at least 500 ms.
    expect(gaps[2], `gaps between hellos: ${gaps.map(Math.round).join(', ')} ms`).toBeGreaterThanOrEqual(480);
    expect(logs.some((l) => l.includes('invalid hello'))).toBe(true);
  });

  it('validates a message once for the clients that share a memo: they take one frozen snapshot; other bytes are parsed anew', async () => {
    const cp = (server = await FakeControlPlane.start());
    // frontend-3 is sent another version, so other bytes; the rest are sent the same message.
    cp.onHello = (socket, hello) => cp.send(socket, { type: 'snapshot', snapshot: snapshot(hello.proxy.instance === 'frontend-3' ? 2 : 1) });
    const memo = new SnapshotMemo();
    const started: { c: StreamClient; seen: Snapshot[] }[] = [];
    const join = async (instance: string, change = false) => {
      const seen: Snapshot[] = [];
      const c = new StreamClient({
        controlPlane: cp.url,
        identity: { service: 'frontend', instance, proxyVersion: 'test' },
        apply: (s) => {
          // A proxy that changed what it was given would change it for every client of the memo.
          if (change) (s as { version: number }).version = 99;
          seen.push(s);
        },
        credentials: trusting([pki.root]),
        memo,
      });
      started.push({ c, seen });
      const answer = Promise.race([cp.next('ack', () => true, 5000), cp.next('nack', () => true, 5000)]);
      await c.start();
      return { seen, answer: (await answer).message };
    };
    try {
      const one = await join('frontend-1');
      const two = await join('frontend-2');
      const three = await join('frontend-3');
      expect([one.answer, two.answer, three.answer]).toEqual([
        { type: 'ack', version: 1 },
        { type: 'ack', version: 1 },
        { type: 'ack', version: 2 },
      ]);
      expect(two.seen[0]).toBe(one.seen[0]);
      expect(Object.isFrozen(one.seen[0]?.outbound.services)).toBe(true);
      expect(three.seen[0]).not.toBe(one.seen[0]);
      expect(three.seen[0]).toEqual(snapshot(2));

      const changer = await join('frontend-4', true);
      expect(changer.answer).toMatchObject({ type: 'nack', version: 1, reason: expect.stringMatching(/read only|read-only/) });
      expect(one.seen[0]?.version).toBe(1);
    } finally {
      await Promise.all(started.map(({ c }) => c.close()));
    }
  });

  it('stops for good when closed: no reconnect, state closed', async () => {
    const cp = (server = await FakeControlPlane.start());
    cp.onHello = (socket) => cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
    const ack = cp.next('ack');
    const c = newClient(cp.url);
    await c.start();
    await ack;
    await c.close();
    expect(c.state).toBe('closed');
    expect(c.send({ type: 'ping', at: 1 })).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(cp.all('hello')).toHaveLength(1);
    expect(cp.sockets.size).toBe(0);
  });

  describe('trust and identity', () => {
    it('trusts only its roots: a server with a certificate from another CA never hears from it', async () => {
      const rogue = await testPki('rogue root');
      const cp = (server = await FakeControlPlane.start(0, await rogue.leaf(CONTROL_PLANE_ID), [rogue.root]));
      newClient(cp.url);
      await client?.start();
      await until(() => logs.some((l) => l.includes('unreachable')), 3000);
      expect(cp.received).toHaveLength(0);
      expect(logs.join('\n')).toMatch(/certificate/i);
    });

    it('checks the control plane\'s identity, not just the CA: a workload certificate of our CA is refused', async () => {
      const cp = (server = await FakeControlPlane.start(0, await pki.leaf('spiffe://trellis.local/ns/default/sa/payments')));
      newClient(cp.url);
      await client?.start();
      await until(() => logs.some((l) => l.includes('unreachable')), 3000);
      expect(cp.received).toHaveLength(0);
      expect(logs.join('\n')).toContain("is not the Trellis control plane's");
    });

    it('first time: finds the root its join token pins, trusts only it, and sends the token with a CSR in its hello', async () => {
      const { rootPin } = await import('@trellis/shared/node');
      const rogue = await testPki('extra root');
      // The control plane publishes two roots; the token pins ours.
      const cp = (server = await FakeControlPlane.start(0, serving, [rogue.root, pki.root]));
      const token = `0123456789ab.${'s'.repeat(43)}.${rootPin(pki.root)}`;
      const hello = cp.next('hello');
      newClient(cp.url, {
        credentials: trusting(undefined, { credential: () => ({ kind: 'join-token', token }), certificateRequest: () => Promise.resolve('csr-pem') }),
      });
      await client?.start();
      const { message } = await hello;
      expect(message.credential).toEqual({ kind: 'join-token', token });
      expect(message.csr).toBe('csr-pem');
    });

    it('sends nothing to a control plane that does not hold the pinned root, and says why', async () => {
      const { rootPin } = await import('@trellis/shared/node');
      const other = await testPki('other root');
      const cp = (server = await FakeControlPlane.start());
      const token = `0123456789ab.${'s'.repeat(43)}.${rootPin(other.root)}`;
      newClient(cp.url, { credentials: trusting(undefined, { credential: () => ({ kind: 'join-token', token }) }) });
      await client?.start();
      await until(() => logs.some((l) => l.includes('does not hold the root this join token pins')), 3000);
      expect(cp.received).toHaveLength(0);
    });

    it('installs a certificate, then a new bundle, acknowledging each; answers a renewal request with a CSR', async () => {
      const installed: string[] = [];
      const cp = (server = await FakeControlPlane.start());
      const helloSeen = cp.next('hello');
      newClient(cp.url, {
        credentials: trusting([pki.root], {
          installCertificate: async (c, b) => {
            await new Promise((r) => setTimeout(r, 30));
            installed.push(`cert ${c.identity} bundle ${b.version}`);
          },
          installBundle: (b) => void installed.push(`bundle ${b.version}`),
          renewalRequest: () => Promise.resolve('renewal-csr'),
        }),
      });
      await client?.start();
      const { socket } = await helloSeen;
      const certificate = { chain: 'pem', identity: 'spiffe://trellis.local/ns/default/sa/frontend', notAfter: '2030-01-01T00:00:00Z' };
      const firstAck = cp.next('bundle-ack');
      cp.send(socket, { type: 'certificate', certificate, trustBundle: { version: 1, roots: [pki.root] } });
      // A snapshot right behind the certificate is applied only once the certificate is in.
      cp.send(socket, { type: 'snapshot', snapshot: snapshot(1) });
      expect((await firstAck).message).toEqual({ type: 'bundle-ack', version: 1 });
      await cp.next('ack');
      expect(installed).toEqual(['cert spiffe://trellis.local/ns/default/sa/frontend bundle 1']);
      const secondAck = cp.next('bundle-ack');
      cp.send(socket, { type: 'trust-bundle', trustBundle: { version: 2, roots: [pki.root, pki.root] } });
      expect((await secondAck).message.version).toBe(2);
      const csr = cp.next('csr');
      cp.send(socket, { type: 'renew', reason: 'rotation' });
      expect((await csr).message.csr).toBe('renewal-csr');
      expect(installed).toEqual(['cert spiffe://trellis.local/ns/default/sa/frontend bundle 1', 'bundle 2']);
    });

    it('logs a refusal with the control plane\'s reason and keeps trying later', async () => {
      const cp = (server = await FakeControlPlane.start());
      cp.onHello = (socket) => {
        cp.send(socket, { type: 'error', code: 'unauthenticated', message: 'join token 0123456789ab was revoked' });
        socket.close(4401, 'revoked');
      };
      const refused: unknown[] = [];
      newClient(cp.url).on('refused', (m: unknown) => refused.push(m));
      await client?.start();
      await until(() => refused.length > 0);
      expect(logs.join('\n')).toContain('control plane refused this proxy (unauthenticated): join token 0123456789ab was revoked');
      await until(() => cp.all('hello').length >= 2, 3000);
    });
  });
});
