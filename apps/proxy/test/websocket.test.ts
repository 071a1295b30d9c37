import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';

let wss: WebSocketServer;
let appPort = 0;
let destination: ProxyProcess;
let caller: ProxyProcess;
let seenSource: string | undefined;

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  appPort = (wss.address() as { port: number }).port;
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
