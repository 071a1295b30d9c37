import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let live: Upstream;
let shadow: Upstream;
let proxy: ProxyProcess;
const shadowBodies: string[] = [];

beforeAll(async () => {
  live = await startUpstream('live');
  // The mirror target is slow and its answers are errors: neither may reach the caller.
  shadow = await startUpstream((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => shadowBodies.push(`${String(req.headers['x-trellis-mirror'])} ${body}`));
    setTimeout(() => {
      res.writeHead(500);
      res.end('shadow');
    }, 500);
  });
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'orders',
          endpoints: [endpoint(live.port, { version: 'v1' }), endpoint(shadow.port, { version: 'v2' })],
          policies: {
            split: { backends: [{ name: 'v1', selector: { version: 'v1' }, weight: 100 }] },
            mirror: { selector: { version: 'v2' }, percentage: 100 },
          },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([live?.close(), shadow?.close()]);
});

test('mirrored copies reach the mirror subset and never slow down or change the real request', async () => {
  const results = await sendMany(proxy.outbound, 40, 4, { host: 'orders', method: 'POST', body: 'order-1' });
  expect(results.every((r) => r.status === 200 && r.body === 'live')).toBe(true);
  // The shadow takes 500 ms per request; the real requests do not wait for it.
  const slowest = Math.max(...results.map((r) => r.ms));
  expect(slowest).toBeLessThan(300);
  await new Promise((r) => setTimeout(r, 700));
  expect(shadow.hits).toBe(40);
  expect(live.hits).toBe(40);
  expect(shadowBodies.every((b) => b === '1 order-1')).toBe(true);
});
