import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { rawRequest, statusOf } from './support/raw-http.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// RFC 9112 §3.2: a server must refuse an HTTP/1.1 request without Host, with more than one Host, or with
// an invalid one; the outbound proxy routes by Host, so serving such a request means guessing the
// service. Issue 11 found two Host headers served (200) and CONNECT answered by a closed connection.

let app: Upstream;
let proxy: ProxyProcess;
let ports: { outbound: number; inbound: number };

beforeAll(async () => {
  app = await startUpstream((req, res) => res.end(`path=${req.url} host=${req.headers.host}`));
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({ service: 'app', outbound: [service({ name: 'app', endpoints: [endpoint(app.port)] })] }),
  });
  ports = { outbound: Number(new URL(proxy.outbound).port), inbound: Number(new URL(proxy.inbound).port) };
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

const reasonOf = (answer: string) => /\r\nx-trellis-reason: ([a-z-]+)\r\n/.exec(answer)?.[1];

/** Sends `bytes` to both listeners; expects the same refusal from each, the app untouched, the proxy serving on. */
async function expectRefused(bytes: string, status: number, reason: string) {
  const hitsBefore = app.hits;
  for (const port of [ports.outbound, ports.inbound]) {
    const answer = await rawRequest(port, bytes);
    expect(statusOf(answer), answer).toBe(status);
    expect(reasonOf(answer), answer).toBe(reason);
    expect(answer.toLowerCase()).toContain('connection: close');
  }
  expect(app.hits).toBe(hitsBefore);
  expect((await send(proxy.outbound, { host: 'app' })).status).toBe(200);
  expect((await send(proxy.inbound)).status).toBe(200);
}

test.each([
  { name: 'two Host headers', head: 'Host: app\r\nHost: other' },
  { name: 'the same Host twice, in different letter case', head: 'host: app\r\nHOST: app' },
])('$name: 400 duplicate-host', async ({ head }) => {
  await expectRefused(`GET / HTTP/1.1\r\n${head}\r\n\r\n`, 400, 'duplicate-host');
});

test('CONNECT: 405 method-not-allowed with Allow, instead of a closed connection', async () => {
  for (const port of [ports.outbound, ports.inbound]) {
    const answer = await rawRequest(port, 'CONNECT app:443 HTTP/1.1\r\nHost: app:443\r\n\r\n');
    expect(statusOf(answer), answer).toBe(405);
    expect(reasonOf(answer)).toBe('method-not-allowed');
    expect(answer).toMatch(/\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE\r\n/);
    expect(answer).toContain('CONNECT (a TCP tunnel) is not supported');
  }
  expect((await send(proxy.outbound, { host: 'app' })).status).toBe(200);
});

test('an HTTP/1.1 request without Host: 400 missing-host; HTTP/1.0 needs none', async () => {
  await expectRefused('GET / HTTP/1.1\r\n\r\n', 400, 'missing-host');
  // HTTP/1.0: inbound serves it; outbound has no service to route to.
  expect(statusOf(await rawRequest(ports.inbound, 'GET / HTTP/1.0\r\n\r\n'))).toBe(200);
  const outbound = await rawRequest(ports.outbound, 'GET / HTTP/1.0\r\n\r\n');
  expect(statusOf(outbound)).toBe(404);
  expect(reasonOf(outbound)).toBe('unknown-service');
});

test.each(['app name', 'user@app', 'app/admin', 'app:80x', '[::1', 'app%zz'])('Host %j: 400 invalid-host', async (host) => {
  await expectRefused(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 400, 'invalid-host');
});

test.each(['app', 'app:8080', 'APP.default.svc.cluster.local', '127.0.0.1:80', '[::1]:80'])('Host %j is accepted', async (host) => {
  const answer = await rawRequest(ports.inbound, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  expect(statusOf(answer), answer).toBe(200);
});

test('absolute-form: the target names the service and the Host header is ignored (RFC 9112 §3.2.2)', async () => {
  const answer = await rawRequest(ports.outbound, 'GET http://app/abs?x=1 HTTP/1.1\r\nHost: elsewhere\r\nConnection: close\r\n\r\n');
  expect(statusOf(answer), answer).toBe(200);
  expect(answer).toContain('path=/abs?x=1 host=app');
});

test.each([
  { name: 'an https:// absolute target', line: 'GET https://app/ HTTP/1.1', detail: 'only http:// absolute targets are forwarded' },
  { name: 'user information in the target', line: 'GET http://user:secret@app/ HTTP/1.1', detail: 'must not carry user information' },
  { name: 'asterisk-form with GET', line: 'GET * HTTP/1.1', detail: 'asterisk-form is for OPTIONS only' },
  { name: 'OPTIONS *', line: 'OPTIONS * HTTP/1.1', detail: 'OPTIONS * (asterisk-form) is not forwarded' },
])('$name: 400 invalid-target', async ({ line, detail }) => {
  await expectRefused(`${line}\r\nHost: app\r\n\r\n`, 400, 'invalid-target');
  expect(await rawRequest(ports.outbound, `${line}\r\nHost: app\r\n\r\n`)).toContain(detail);
});

test('an Upgrade request is held to the same Host rules', async () => {
  const upgrade = 'GET /ws HTTP/1.1\r\nHost: app\r\nHost: other\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
  await expectRefused(upgrade, 400, 'duplicate-host');
});
