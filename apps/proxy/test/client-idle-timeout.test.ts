import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// --client-idle-timeout: a client connection with no traffic either way for this long is closed (slow
// readers, upstreams that never answer), and one whose bytes keep moving is not, however long it lasts.
const IDLE_MS = 600;

let app: Upstream;
let chat: http.Server;
let proxy: ProxyProcess;
let outboundPort = 0;

beforeAll(async () => {
  app = await startUpstream((req, res) => {
    // /hang: never answered. /trickle: a chunk every 200 ms for 1.6 s, longer than the idle limit in all.
    if (req.url === '/hang') return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(`chunk ${++sent}\n`);
      if (sent === 8) {
        clearInterval(timer);
        res.end('done\n');
      }
    }, 200);
  });
  // A WebSocket echo app: a tunnel through the proxy, quiet for longer than the idle limit.
  chat = http.createServer();
  new WebSocketServer({ server: chat }).on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  await new Promise<void>((r) => chat.listen(0, '127.0.0.1', r));
  const chatPort = (chat.address() as net.AddressInfo).port;
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({ service: 'app', outbound: [service({ name: 'app', endpoints: [endpoint(app.port)] }), service({ name: 'chat', endpoints: [endpoint(chatPort)] })] }),
    args: ['--client-idle-timeout', String(IDLE_MS)],
  });
  outboundPort = Number(new URL(proxy.outbound).port);
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
  chat?.closeAllConnections();
  await new Promise((r) => chat?.close(r));
});

/** Sends one GET on a new connection; resolves when the proxy closes it, with how long that took and what came. */
function getUntilClosed(path: string): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(outboundPort, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: app\r\n\r\n`);
  });
}

test('a connection waiting on an upstream that never answers is closed once idle for the limit, not before', async () => {
  const { ms, answer } = await getUntilClosed('/hang');
  expect(answer).toBe('');
  expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 5);
  expect(ms).toBeLessThan(IDLE_MS * 2);
});

test('a response whose bytes keep coming outlasts the idle limit and arrives whole', async () => {
  const socket = net.connect(outboundPort, '127.0.0.1');
  let answer = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.write('GET /trickle HTTP/1.1\r\nHost: app\r\n\r\n');
  await expect.poll(() => answer.includes('done'), { timeout: 5000 }).toBe(true);
  expect(answer).toContain('chunk 8');
  expect(closed).toBe(false);
  socket.destroy();
});

test('a WebSocket quiet for longer than the idle limit stays open (a tunnel has no idle limit)', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${outboundPort}/socket`, { headers: { host: 'chat' } });
  let closedAt: number | undefined;
  ws.on('close', () => (closedAt = performance.now()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise((r) => setTimeout(r, IDLE_MS * 3));
  expect(closedAt).toBeUndefined();
  const echoed = new Promise<string>((resolve) => ws.once('message', (m: Buffer) => resolve(m.toString())));
  ws.send('still here');
  expect(await echoed).toBe('still here');
  ws.close();
});
