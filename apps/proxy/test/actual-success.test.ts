import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Issue 12: retries made every request to a flaky service succeed, and the graph said 100 % because it
// counted only what callers got. The proxy also counts every try it sends and every one that failed, so the
// actual success rate (before retries) can be shown beside the effective one.

let payments: Upstream;
let app: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  // One try in twenty fails, whichever request it belongs to.
  payments = await startUpstream((_req, res, hit) => {
    res.writeHead(hit % 20 === 0 ? 503 : 200);
    res.end();
  });
  app = await startUpstream((_req, res, hit) => {
    res.writeHead(hit % 4 === 0 ? 500 : 200);
    res.end();
  });
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({
      service: 'checkout',
      outbound: [service({ name: 'payments', endpoints: [endpoint(payments.port)], policies: { retry: retry({ attempts: 3, retryOn: ['5xx'] }) } })],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([payments?.close(), app?.close()]);
});

const counter = (text: string, name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

test('counts every try and every failed one, so 5 % of tries failing shows though retries hid it from callers', async () => {
  const answers = await sendMany(proxy.outbound, 400, 4, { host: 'payments' });
  expect(answers.every((a) => a.status === 200)).toBe(true);
  const text = await (await fetch(`${proxy.admin}/metrics`)).text();
  const edge = 'source_service="checkout.default",destination_service="payments.default",route="default",direction="outbound"';
  const attempts = counter(text, 'trellis_attempts_total', edge);
  const failed = counter(text, 'trellis_failed_attempts_total', edge);
  // 400 requests; each 20th try failed and was tried again: 21 failures in 420 tries.
  expect(attempts).toBe(payments.hits);
  expect(attempts - failed).toBe(400);
  expect((attempts - failed) / attempts).toBeCloseTo(0.95, 2);
});

test('inbound, a try is the request handed to the app; requests the proxy answers itself are not tries', async () => {
  for (let i = 0; i < 8; i++) await send(proxy.inbound, { path: '/' });
  const text = await (await fetch(`${proxy.admin}/metrics`)).text();
  const edge = 'source_service="external",destination_service="checkout.default",route="default",direction="inbound"';
  expect(counter(text, 'trellis_attempts_total', edge)).toBe(8);
  expect(counter(text, 'trellis_failed_attempts_total', edge)).toBe(2);
  // A Host no route knows is answered by the proxy: a request, but no try.
  expect((await send(proxy.outbound, { host: 'nosuch' })).status).toBeGreaterThanOrEqual(400);
  const after = await (await fetch(`${proxy.admin}/metrics`)).text();
  expect(after).not.toMatch(/trellis_attempts_total\{[^}]*destination_service="unknown"/);
});
