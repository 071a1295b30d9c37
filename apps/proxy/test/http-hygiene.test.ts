import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { rawRequest, statusOf } from './support/raw-http.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// A caller proxy ("web") sends to the destination's proxy ("reviews"), which forwards to its app: the
// full two-hop path, so headers are checked where the app sees them.
let app: Upstream;
let destination: ProxyProcess;
let caller: ProxyProcess;

beforeAll(async () => {
  app = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5', 'x-end': 'kept' });
    res.end('ok');
  });
  destination = await startProxy({ appPort: app.port, config: snapshot({ service: 'reviews' }) });
  const inboundPort = Number(new URL(destination.inbound).port);
  caller = await startProxy({ config: snapshot({ service: 'web', outbound: [service({ name: 'reviews', endpoints: [endpoint(inboundPort)] })] }) });
});

afterAll(async () => {
  await Promise.all([caller?.stop(), destination?.stop()]);
  await app?.close();
});

/** A request with Node's http client, which (unlike undici) sends any Connection header it is given. */
function nodeRequest(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('hop-by-hop headers are dropped both ways, end-to-end ones are kept', async () => {
  const r = await nodeRequest(`${caller.outbound}/`, {
    host: 'reviews',
    connection: 'keep-alive, x-private',
    'x-private': 'hop',
    'proxy-authorization': 'Basic x',
    te: 'trailers, deflate',
    'x-keep': 'yes',
  });
  expect(r.status).toBe(200);
  const seen = app.lastHeaders ?? {};
  expect(seen['x-private']).toBeUndefined();
  expect(seen['proxy-authorization']).toBeUndefined();
  expect(seen.te).toBe('trailers');
  expect(seen['x-keep']).toBe('yes');
  expect(r.headers['x-hop']).toBeUndefined();
  expect(r.headers['x-end']).toBe('kept');
});

test('x-request-id is created when missing and kept when given; x-forwarded-* are set', async () => {
  await send(caller.outbound, { host: 'reviews' });
  const created = app.lastHeaders?.['x-request-id'];
  expect(created).toMatch(/^[0-9a-f-]{36}$/);
  expect(app.lastHeaders?.['x-forwarded-for']).toBe('127.0.0.1, 127.0.0.1');
  expect(app.lastHeaders?.['x-forwarded-proto']).toBe('http');
  await send(caller.outbound, { host: 'reviews', headers: { 'x-request-id': 'abc-123' } });
  expect(app.lastHeaders?.['x-request-id']).toBe('abc-123');
});

test('x-trellis-* headers an app sends never leave its proxy (only proxies, over mutual TLS, set them)', async () => {
  await send(caller.outbound, { host: 'reviews', headers: { 'x-trellis-source': 'admin.default', 'x-trellis-client-id': 'spiffe://trellis.local/ns/default/sa/admin', 'x-trellis-anything': '1' } });
  expect(Object.keys(app.lastHeaders ?? {}).filter((h) => h.startsWith('x-trellis-'))).toEqual([]);
});

test('traceparent is created when missing and continued when present; B3 is accepted', async () => {
  await send(caller.outbound, { host: 'reviews' });
  const created = String(app.lastHeaders?.traceparent);
  expect(created).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await send(caller.outbound, { host: 'reviews', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  const continued = String(app.lastHeaders?.traceparent);
  expect(continued.slice(3, 35)).toBe(traceId);
  // Each hop names its own span as the parent, and keeps the sampled flag.
  expect(continued.slice(36, 52)).not.toBe('00f067aa0ba902b7');
  expect(continued.endsWith('-01')).toBe(true);

  await send(caller.outbound, { host: 'reviews', headers: { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' } });
  expect(String(app.lastHeaders?.traceparent)).toMatch(/^00-80f198ee56343ba864fe8b2a57d3eff7-[0-9a-f]{16}-01$/);
});

test('an app using the outbound listener as an HTTP proxy (absolute-form target) reaches the service', async () => {
  const port = Number(new URL(caller.outbound).port);
  const answer = await rawRequest(port, 'GET http://reviews/abs?x=1 HTTP/1.1\r\nHost: ignored\r\nConnection: close\r\n\r\n');
  expect(statusOf(answer)).toBe(200);
});

test('request and response bodies stream through, large ones included', async () => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  const echo = await startUpstream((req, res) => {
    res.writeHead(200);
    req.pipe(res);
  });
  const echoProxy = await startProxy({ config: snapshot({ outbound: [service({ name: 'echo', endpoints: [endpoint(echo.port)] })] }) });
  try {
    const r = await send(echoProxy.outbound, { host: 'echo', method: 'POST', body: big });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(big.length);
  } finally {
    await echoProxy.stop();
    await echo.close();
  }
});

test('a client that goes away cancels the upstream request', async () => {
  let closed = false;
  const hanging = await startUpstream((req, res) => {
    res.on('close', () => (closed = true));
    void req;
  });
  const p = await startProxy({ config: snapshot({ outbound: [service({ name: 'hang', endpoints: [endpoint(hanging.port)] })] }) });
  try {
    const clientReq = http.request(`${p.outbound}/`, { headers: { host: 'hang' } });
    clientReq.on('error', () => undefined);
    clientReq.end();
    await new Promise((r) => setTimeout(r, 300));
    clientReq.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(closed).toBe(true);
  } finally {
    await p.stop();
    await hanging.close();
  }
});
