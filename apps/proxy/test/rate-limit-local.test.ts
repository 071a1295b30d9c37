import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, send, sendAtRate } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { snapshot } from './support/snapshot.ts';
import { limiterRates } from './support/metrics.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let app: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  app = await startUpstream('app');
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({
      service: 'reviews',
      inbound: {
        rateLimit: { id: 'RateLimitPolicy/default/reviews', requestsPerSecond: 100, burst: 20, key: { type: 'None' }, mode: 'Local', failureMode: 'Open' },
      },
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

test('100 rps allowed under 1,000 rps offered: 100 ± 5 % pass, the rest get 429', async () => {
  // Offered for up to 15 s; measured over the first 3 s window in which the proxy really saw >= 800 rps.
  const rates = limiterRates([proxy], { windowMs: 3000, minOfferedPerSecond: 800, timeoutMs: 15_000 });
  const { results } = await sendAtRate(proxy.inbound, 1000, 15_000, {}, rates);
  const { allowedPerSecond } = await rates;
  expect(allowedPerSecond).toBeGreaterThanOrEqual(95);
  expect(allowedPerSecond).toBeLessThanOrEqual(105);
  const byStatus = countBy(results, (r) => r.status);
  const passed = byStatus.get(200) ?? 0;
  expect(byStatus.get(429)).toBeGreaterThan(results.length * 0.7);
  expect(passed + (byStatus.get(429) ?? 0)).toBe(results.length);
  expect(app.hits).toBe(passed);
});

test('a refused request carries Retry-After, RateLimit headers and the reason', async () => {
  let refused;
  for (let i = 0; i < 50 && !refused; i++) {
    const r = await send(proxy.inbound);
    if (r.status === 429) refused = r;
  }
  expect(refused?.headers['x-trellis-reason']).toBe('rate-limited');
  expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(refused?.headers['ratelimit-limit']).toBe('100');
  expect(refused?.headers['ratelimit-remaining']).toBe('0');
  expect(refused?.body).toContain('rate limited');
});
