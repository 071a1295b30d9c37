import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { rawRequest, statusOf } from './support/raw-http.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';

let wss: WebSocketServer;
let appPort = 0;
let destination: ProxyProcess;
let caller: ProxyProcess;
let seenSource: string | undefined;
let appServer: http.Server;
/** Every request line the app received, upgrades and plain requests alike. */
const appSaw: string[] = [];

beforeAll(async () => {
  appServer = http.createServer((req, res) => {
    appSaw.push(`${req.method} ${req.url}`);
    res.writeHead(426).end();
  });
  appServer.on('upgrade', (req: http.IncomingMessage) => appSaw.push(`${req.method} ${req.url} upgrade ${req.headers.upgrade}`));
  // The app accepts WebSocket upgrades except on /private, which it refuses (401).
  wss = new WebSocketServer({ server: appServer, verifyClient: (info: { req: http.IncomingMessage }) => info.req.url !== '/private' });
  await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r));
  appPort = (appServer.address() as { port: number }).port;
  wss.on('connection', (socket, req) => {
    seenSource = req.headers['x-trellis-source'] as string | undefined;
    socket.on('message', (data) => socket.send(`echo ${data.toString()}`));
  });
  destination = await startProxy({ appPort, config: snapshot({ service: 'chat' }) });
  const inboundPort = Number(new URL(destination.inbound).port);
  caller = await startProxy({ config: snapshot({ service: 'web', outbound: [service({ name: 'chat', endpoints: [endpoint(inboundPort)] })] }) });
});

afterAll(async () => {
  await Promise.all([caller?.stop(), destination?.stop()]);
  wss?.close();
  appServer?.close();
});

test('a WebSocket upgrade passes through both proxies and messages flow both ways', async () => {
  // The app claims to be someone else: x-trellis-* from an app never reach the other side.
  const ws = new WebSocket(`${caller.outbound.replace('http', 'ws')}/socket`, { headers: { host: 'chat', 'x-trellis-source': 'admin.default' } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const replies: string[] = [];
  const got = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      replies.push(data.toString());
      if (replies.length === 3) resolve();
    }),
  );
  for (const m of ['one', 'two', 'three']) ws.send(m);
  await got;
  expect(replies).toEqual(['echo one', 'echo two', 'echo three']);
  // Without mutual TLS (these proxies serve snapshot files) the destination learns no caller at all.
  expect(seenSource).toBeUndefined();
  ws.close();
});

test('an upgrade to an unknown service is refused with the reason', async () => {
  const ws = new WebSocket(`${caller.outbound.replace('http', 'ws')}/socket`, { headers: { host: 'nobody' } });
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  expect(status).toBe(404);
});

const WS_HEAD = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

test('a request smuggled behind an upgrade the app refuses never reaches the app', async () => {
  appSaw.length = 0;
  const port = Number(new URL(caller.outbound).port);
  // The upgrade fails (401), so the connection is still HTTP: the bytes after it must not be tunnelled.
  const answer = await rawRequest(port, `GET /private HTTP/1.1\r\nHost: chat\r\n${WS_HEAD}\r\nGET /admin HTTP/1.1\r\nHost: chat\r\n\r\n`);
  expect(statusOf(answer)).toBe(401);
  // One answer, then the connection closed: the smuggled request got no answer of its own.
  expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
  await new Promise((r) => setTimeout(r, 200));
  expect(appSaw).toEqual(['GET /private upgrade websocket']);
});

test('an h2c upgrade is refused (400) at the first proxy: no raw tunnel to the app', async () => {
  appSaw.length = 0;
  const port = Number(new URL(caller.outbound).port);
  const answer = await rawRequest(
    port,
    'GET / HTTP/1.1\r\nHost: chat\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
  );
  expect(statusOf(answer)).toBe(400);
  expect(answer).toContain('only WebSocket upgrades pass the proxy');
  expect(appSaw).toEqual([]);
});
