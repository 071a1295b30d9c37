import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, sendAtRate } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { snapshot } from './support/snapshot.ts';
import { limiterRates } from './support/metrics.ts';
import { closedPort, startUpstream, type Upstream } from './support/upstream.ts';

// The Redis every developer machine and CI job here has; each run uses its own bucket id.
const REDIS_URL = 'redis://127.0.0.1:6379';

const globalLimit = (id: string, failureMode: 'Open' | 'Closed' = 'Open') => ({
  rateLimit: { id, requestsPerSecond: 100, burst: 20, key: { type: 'None' as const }, mode: 'Global' as const, failureMode },
});

let app: Upstream;
const proxies: ProxyProcess[] = [];

beforeAll(async () => {
  app = await startUpstream('app');
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.stop()));
  await app?.close();
});

test('two proxies of one service share a global limit of 100 rps through Redis', async () => {
  const id = `test-${process.pid}-${Date.now()}`;
  const config = snapshot({ service: 'reviews', inbound: globalLimit(id), redisUrl: REDIS_URL });
  const a = await startProxy({ appPort: app.port, config });
  const b = await startProxy({ appPort: app.port, config });
  proxies.push(a, b);
  // 500 rps at each proxy, 1,000 rps in all, for up to 15 s; measured over the first 3 s window in
  // which the two proxies together really saw >= 800 rps.
  const rates = limiterRates([a, b], { windowMs: 3000, minOfferedPerSecond: 800, timeoutMs: 15_000 });
  const [ra, rb] = await Promise.all([sendAtRate(a.inbound, 500, 15_000, {}, rates), sendAtRate(b.inbound, 500, 15_000, {}, rates)]);
  const { allowedPerSecond } = await rates;
  expect(allowedPerSecond).toBeGreaterThanOrEqual(95);
  expect(allowedPerSecond).toBeLessThanOrEqual(105);
  // Both proxies let some through: the bucket is shared, not split.
  expect(ra.results.some((r) => r.status === 200) && rb.results.some((r) => r.status === 200)).toBe(true);
});

test('with Redis unreachable a global limit fails open by default: every request passes', async () => {
  const config = snapshot({ service: 'reviews', inbound: globalLimit('unreachable'), redisUrl: `redis://127.0.0.1:${await closedPort()}` });
  const proxy = await startProxy({ appPort: app.port, config });
  proxies.push(proxy);
  const { results } = await sendAtRate(proxy.inbound, 300, 1000);
  expect(countBy(results, (r) => r.status).get(200)).toBe(results.length);
});

test('with Redis unreachable and failureMode Closed, requests are refused with 503', async () => {
  const config = snapshot({ service: 'reviews', inbound: globalLimit('closed', 'Closed'), redisUrl: `redis://127.0.0.1:${await closedPort()}` });
  const proxy = await startProxy({ appPort: app.port, config });
  proxies.push(proxy);
  const { results } = await sendAtRate(proxy.inbound, 100, 500);
  expect(results.every((r) => r.status === 503 && r.headers['x-trellis-reason'] === 'rate-limiter-unavailable')).toBe(true);
});
