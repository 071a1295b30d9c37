import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, outboundRoute, retry, service, snapshot } from './support/snapshot.ts';
import { closedPort, startUpstream, type Upstream } from './support/upstream.ts';

let flaky: Upstream;
let limited: Upstream;
let healthy: Upstream;
let proxy: ProxyProcess;
let rateLimitedAt: number[] = [];

beforeAll(async () => {
  // Fails 30 % of requests with a 503, at random, like a struggling service.
  flaky = await startUpstream((_req, res) => {
    res.writeHead(Math.random() < 0.3 ? 503 : 200);
    res.end();
  });
  // Answers 429 with Retry-After: 1 to the first request, then 200.
  limited = await startUpstream((_req, res, hit) => {
    rateLimitedAt.push(Date.now());
    if (hit === 1) res.writeHead(429, { 'retry-after': '1' });
    else res.writeHead(200);
    res.end();
  });
  healthy = await startUpstream('healthy');
  const dead = await closedPort();
  const dead2 = await closedPort();
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({ name: 'flaky', endpoints: [endpoint(flaky.port)], policies: { retry: retry({ attempts: 5 }) } }),
        service({
          name: 'limited',
          endpoints: [endpoint(limited.port)],
          policies: { retry: retry({ attempts: 2, retryOn: ['retriable-429'] }) },
        }),
        // Round robin over a dead port and a live one: every connect failure is retried on the other.
        service({
          name: 'half-dead',
          endpoints: [endpoint(dead), endpoint(healthy.port)],
          policies: { retry: retry({ attempts: 2, retryOn: ['connect-failure'] }) },
          routes: [outboundRoute('no-retry', {}, { path: { type: 'PathPrefix', value: '/no-retry' } })],
        }),
        // Nothing listens behind any endpoint.
        service({ name: 'all-dead', endpoints: [endpoint(dead), endpoint(dead2)] }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([flaky?.close(), limited?.close(), healthy?.close()]);
});

test('a service failing 30 % of requests is seen as at least 99 % successful with retries', async () => {
  const results = await sendMany(proxy.outbound, 1000, 20, { host: 'flaky' });
  const ok = results.filter((r) => r.status === 200).length;
  expect(ok / results.length).toBeGreaterThanOrEqual(0.99);
  // Without retries about 300 would have failed: the upstream really saw the extra attempts.
  expect(flaky.hits).toBeGreaterThan(1200);
});

test('a connect failure is retried on another endpoint, with a retry policy or without one (the safe default)', async () => {
  const retried = await sendMany(proxy.outbound, 20, 1, { host: 'half-dead' });
  expect(retried.every((r) => r.status === 200)).toBe(true);
  // No RetryPolicy on this route: nothing reached an app, so one more try elsewhere is always safe.
  const byDefault = await sendMany(proxy.outbound, 20, 1, { host: 'half-dead', path: '/no-retry' });
  expect(byDefault.every((r) => r.status === 200)).toBe(true);
  // When every endpoint refuses, the caller is told why.
  const plain = await sendMany(proxy.outbound, 4, 1, { host: 'all-dead' });
  const refused = plain.filter((r) => r.status === 503);
  expect(refused.length).toBe(4);
  expect(refused[0]?.headers['x-trellis-reason']).toBe('upstream-connect-error');
  expect(refused[0]?.body).toContain('upstream connect error');
  expect(refused[0]?.body).toContain('ECONNREFUSED');
});

test('a 429 is retried after the Retry-After it carries', async () => {
  rateLimitedAt = [];
  const r = await send(proxy.outbound, { host: 'limited' });
  expect(r.status).toBe(200);
  expect(rateLimitedAt).toHaveLength(2);
  const [first = 0, second = 0] = rateLimitedAt;
  expect(second - first).toBeGreaterThanOrEqual(950);
});
