import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane.ts';
import { foreignIssuer, meshIssuer, type TestIssuer } from './support/pki.ts';
import { startProxy, tempDir, type ProxyProcess } from './support/proxy.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// A mesh with a real control plane: payments (with an app that echoes what it learned about its caller),
// and two callers, checkout and browser. Every hop between proxies is mutual TLS; identities come from
// certificates the mesh CA issued to each proxy.

const ID = (sa: string, ns = 'default') => `spiffe://trellis.local/ns/${ns}/sa/${sa}`;
let cp: ControlPlaneProcess;
let app: Upstream;
let payments: ProxyProcess;
let checkout: ProxyProcess;
let browser: ProxyProcess;
let mesh: TestIssuer;

const resource = (kind: string, name: string, spec: unknown) => ({ apiVersion: 'trellis.dev/v1alpha1', kind, metadata: { name, namespace: 'default' }, spec });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Waits until payments' proxy runs a snapshot with this inbound mode. */
const modeIs = (mode: string) => until(async () => ((await (await fetch(`${payments.admin}/config`)).json()) as { mtls: string }).mtls === mode);

/** A request straight to payments' inbound port over TLS, as any process could try; undefined status when refused. */
function tlsRequest(port: number, creds: { key: string; cert: string } | undefined, headers: Record<string, string> = {}): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/', agent: false, ca: mesh.roots, checkServerIdentity: () => undefined, headers, ...(creds ?? {}) },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

beforeAll(async () => {
  cp = await startControlPlane();
  mesh = await meshIssuer(cp.dataDir);
  app = await startUpstream((req, res) =>
    res.end(JSON.stringify({ source: req.headers['x-trellis-source'] ?? null, clientId: req.headers['x-trellis-client-id'] ?? null })),
  );
  const proxy = async (service: string, appPort?: number) =>
    startProxy({
      rawArgs: ['--service', service, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', path.join(tempDir(), service),
        ...(appPort ? ['--app-port', String(appPort)] : [])], // prettier-ignore
      env: await cp.tokenEnv(service),
    });
  [payments, checkout, browser] = await Promise.all([proxy('payments', app.port), proxy('checkout'), proxy('browser')]);
  await cp.apply(
    resource('AuthorizationPolicy', 'payments-callers', {
      targetRef: { kind: 'Service', name: 'payments' },
      action: 'Allow',
      rules: [{ from: ['checkout'] }, { from: ['spiffe://trellis.local/ns/ops/*'] }, { from: ['external'], paths: [{ type: 'Exact', value: '/healthz' }] }],
    }),
  );
  await cp.apply(
    resource('AuthorizationPolicy', 'payments-no-admin-delete', {
      targetRef: { kind: 'Service', name: 'payments' },
      action: 'Deny',
      rules: [{ from: ['*'], paths: [{ type: 'PathPrefix', value: '/admin' }], methods: ['DELETE'] }],
    }),
  );
  await until(async () => (await send(checkout.outbound, { host: 'payments' })).status === 200);
  await until(async () => (await send(browser.outbound, { host: 'payments' })).status === 403);
}, 120_000);

afterAll(async () => {
  await Promise.all([payments?.stop(), checkout?.stop(), browser?.stop()]);
  await cp?.stop();
  await app?.close();
});

describe('identity between proxies', () => {
  test("the callee's app learns the caller from its certificate, never from headers the caller's app sent", async () => {
    const r = await send(checkout.outbound, { host: 'payments', headers: { 'x-trellis-source': 'admin.default', 'x-trellis-client-id': ID('admin') } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ source: 'checkout.default', clientId: ID('checkout') });
    // Both ends count it as mutual TLS.
    const handshakes = await (await fetch(`${checkout.admin}/metrics`)).text();
    expect(handshakes).toMatch(/trellis_tls_handshakes_total\{service="checkout.default",side="outbound",result="ok",reason=""\} [1-9]/);
    expect(await (await fetch(`${checkout.admin}/metrics`)).text()).toMatch(/trellis_certificate_expiry_seconds\{service="checkout.default"\} (8[0-9]{4})/);
  });

  test('an HTTP/2 caller crosses to the other proxy over one HTTP/2 session with mutual TLS (ALPN h2), identity and all', async () => {
    const before = /trellis_tls_handshakes_total\{service="checkout.default",side="outbound",result="ok",reason=""\} (\d+)/.exec(
      await (await fetch(`${checkout.admin}/metrics`)).text(),
    );
    const session = http2.connect(checkout.outbound);
    try {
      const ask = () =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const stream = session.request({ ':path': '/h2', ':authority': 'payments', 'x-trellis-source': 'admin.default' });
          let body = '';
          let status = 0;
          stream.on('response', (h) => (status = Number(h[':status'])));
          stream.on('data', (d: Buffer) => (body += d.toString()));
          stream.on('end', () => resolve({ status, body }));
          stream.on('error', reject);
          stream.end();
        });
      const answers = await Promise.all(Array.from({ length: 10 }, ask));
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(JSON.parse(a.body)).toEqual({ source: 'checkout.default', clientId: ID('checkout') });
      }
    } finally {
      session.close();
    }
    // Ten concurrent calls, one new handshake at most: the calls shared one multiplexed session.
    const after = /trellis_tls_handshakes_total\{service="checkout.default",side="outbound",result="ok",reason=""\} (\d+)/.exec(
      await (await fetch(`${checkout.admin}/metrics`)).text(),
    );
    expect(Number(after?.[1]) - Number(before?.[1])).toBeLessThanOrEqual(1);
  });

  test('authorization goes by the verified identity: a forged source header gets nowhere, a deny wins over an allow', async () => {
    const forged = await send(browser.outbound, { host: 'payments', headers: { 'x-trellis-source': 'checkout.default', 'x-trellis-client-id': ID('checkout') } });
    expect(forged.status).toBe(403);
    expect(forged.headers['x-trellis-reason']).toBe('denied');
    expect(forged.body).toContain(ID('browser'));
    expect((await send(checkout.outbound, { host: 'payments', path: '/admin/users', method: 'DELETE' })).status).toBe(403);
    expect((await send(checkout.outbound, { host: 'payments', path: '/admin/users' })).status).toBe(200);
  });

  test('a STRICT inbound refuses plain HTTP, no certificate, another CA, an expired certificate; takes a valid one', async () => {
    const port = Number(new URL(payments.inbound).port);
    const plain = await send(payments.inbound, { headers: { 'x-trellis-source': 'checkout.default' } });
    expect(plain.status).toBe(403);
    expect(plain.headers['x-trellis-reason']).toBe('mtls-required');
    expect((await tlsRequest(port, undefined)).status).toBeUndefined();
    const foreign = await foreignIssuer();
    expect((await tlsRequest(port, await foreign.leaf(ID('checkout')))).status).toBeUndefined();
    const expired = await mesh.leaf(ID('checkout'), Date.now() - 7_200_000, Date.now() - 3_600_000);
    expect((await tlsRequest(port, expired)).status).toBeUndefined();
    expect(app.hits).toBeGreaterThan(0);
    const hits = app.hits;
    // The same CA and a current certificate: in, as the identity in it.
    const valid = await tlsRequest(port, await mesh.leaf(ID('checkout')));
    expect(valid.status).toBe(200);
    expect(JSON.parse(valid.body ?? '{}')).toEqual({ source: 'checkout.default', clientId: ID('checkout') });
    expect(app.hits).toBe(hits + 1);
    const metrics = await (await fetch(`${payments.admin}/metrics`)).text();
    for (const reason of ['plaintext', 'no-client-certificate', 'untrusted-certificate', 'expired-certificate']) {
      expect(metrics, reason).toMatch(new RegExp(`trellis_tls_handshakes_total\\{service="payments.default",side="inbound",result="failed",reason="${reason}"\\} [1-9]`));
    }
  });

  test('PERMISSIVE takes plain callers as "external": forged headers straight to the inbound change no decision, metric or span', async () => {
    await cp.apply(resource('MutualTLSPolicy', 'payments-permissive', { targetRef: { kind: 'Service', name: 'payments' }, mode: 'PERMISSIVE' }));
    await modeIs('PERMISSIVE');
    const externalCount = async () => {
      const text = await (await fetch(`${payments.admin}/metrics`)).text();
      const counts = { external: 0, checkout: 0 };
      for (const m of text.matchAll(/trellis_requests_total\{source_service="([^"]+)",destination_service="payments.default"[^}]*\} (\d+)/g)) {
        if (m[1] === 'external') counts.external += Number(m[2]);
        if (m[1] === 'checkout.default') counts.checkout += Number(m[2]);
      }
      return counts;
    };
    const before = await externalCount();
    const traceId = '0af7651916cd43dd8448eb211c80aaaa';
    const forged = await send(payments.inbound, {
      headers: { 'x-trellis-source': 'checkout.default', 'x-trellis-client-id': ID('checkout'), traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('external');
    // "external" may read /healthz, and the app is told nothing about its caller.
    const health = await send(payments.inbound, { path: '/healthz', headers: { 'x-trellis-source': 'checkout.default' } });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ source: null, clientId: null });
    const after = await externalCount();
    expect(after.external - before.external).toBe(2);
    expect(after.checkout).toBe(before.checkout);
    let spans: { kind: string; attributes: Record<string, unknown> }[] = [];
    await until(async () => {
      spans = await cp.query<{ spans: typeof spans }>('traces.get', { traceId }).then((t) => t.spans).catch(() => []);
      return spans.length > 0;
    });
    expect(spans[0]?.attributes.source).toBe('external');
    expect(spans[0]?.attributes['peer.identity']).toBeUndefined();
    // Mesh callers still come in over mutual TLS, as themselves.
    expect(JSON.parse((await send(checkout.outbound, { host: 'payments' })).body)).toEqual({ source: 'checkout.default', clientId: ID('checkout') });
    await cp.remove('MutualTLSPolicy', 'payments-permissive');
    await modeIs('STRICT');
  });

  test('a namespace-wide default-deny shuts out every caller until a policy allows one', async () => {
    const callers = resource('AuthorizationPolicy', 'payments-callers', {
      targetRef: { kind: 'Service', name: 'payments' },
      action: 'Allow',
      rules: [{ from: ['checkout'] }, { from: ['spiffe://trellis.local/ns/ops/*'] }, { from: ['external'], paths: [{ type: 'Exact', value: '/healthz' }] }],
    });
    await cp.apply(resource('AuthorizationPolicy', 'default-deny', { targetRef: { kind: 'Namespace', name: 'default' }, action: 'Allow', rules: [] }));
    await cp.remove('AuthorizationPolicy', 'payments-callers');
    await until(async () => (await send(checkout.outbound, { host: 'payments' })).status === 403);
    expect((await send(checkout.outbound, { host: 'payments' })).body).toContain('no policy allows');
    await cp.apply(callers);
    await until(async () => (await send(checkout.outbound, { host: 'payments' })).status === 200);
    expect((await send(browser.outbound, { host: 'payments' })).status).toBe(403);
    await cp.remove('AuthorizationPolicy', 'default-deny');
  });

  test('a WebSocket passes through both proxies over mutual TLS, the callee learning the caller from its certificate', async () => {
    const { WebSocketServer, default: WebSocket } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    let seen: unknown;
    wss.on('connection', (socket, req) => {
      seen = req.headers['x-trellis-client-id'];
      socket.on('message', (d) => socket.send(`echo ${d.toString()}`));
    });
    const chat = await startProxy({
      rawArgs: ['--service', 'chat', '--app-port', String((wss.address() as net.AddressInfo).port), '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', path.join(tempDir(), 'chat')],
      env: await cp.tokenEnv('chat'),
    });
    try {
      // Ready once checkout knows chat's endpoint: a plain GET then reaches the WebSocket server (426).
      await until(async () => (await send(checkout.outbound, { host: 'chat' })).status === 426);
      const ws = new WebSocket(`${checkout.outbound.replace('http', 'ws')}/socket`, { headers: { host: 'chat' } });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
      ws.send('hi');
      expect(await reply).toBe('echo hi');
      expect(seen).toBe(ID('checkout'));
      ws.close();
    } finally {
      await chat.stop();
      wss.close();
    }
  });

  test('a caller refuses an endpoint that presents another identity (503 upstream-identity-mismatch)', async () => {
    // Someone holding a certificate of the mesh for "cart" takes over payments' port while payments is
    // down and the control plane still lists the endpoint: the caller checks the identity it expects.
    const port = Number(new URL(payments.inbound).port);
    await payments.stop('SIGKILL');
    const impostor = tls.createServer({ ...(await mesh.leaf(ID('cart'))), ca: mesh.roots, requestCert: true }, (socket) => {
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    });
    await new Promise<void>((r) => impostor.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await send(checkout.outbound, { host: 'payments' });
      expect(r.status).toBe(503);
      expect(r.headers['x-trellis-reason']).toBe('upstream-identity-mismatch');
      expect(r.body).toContain(`presented ${ID('cart')}, expected ${ID('payments')}`);
      const metrics = await (await fetch(`${checkout.admin}/metrics`)).text();
      expect(metrics).toMatch(/trellis_tls_handshakes_total\{service="checkout.default",side="outbound",result="failed",reason="identity-mismatch"\} [1-9]/);
    } finally {
      impostor.close();
    }
  });
});
