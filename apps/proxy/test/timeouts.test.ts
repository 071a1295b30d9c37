import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let slow: Upstream;
let fast: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  slow = await startUpstream((_req, res) => setTimeout(() => res.end('slow'), 2000));
  fast = await startUpstream('fast');
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({ name: 'slow', endpoints: [endpoint(slow.port)], policies: { timeout: { requestMs: 300 } } }),
        // The first endpoint hangs; a per-try timeout of 200 ms moves the retry to the second in time.
        service({
          name: 'mixed',
          endpoints: [endpoint(slow.port), endpoint(fast.port)],
          policies: { timeout: { requestMs: 1500 }, retry: retry({ attempts: 2, retryOn: ['5xx'], perTryTimeoutMs: 200 }) },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([slow?.close(), fast?.close()]);
});

test('a route timeout answers 504 when the upstream is slower', async () => {
  const r = await send(proxy.outbound, { host: 'slow' });
  expect(r.status).toBe(504);
  expect(r.headers['x-trellis-reason']).toBe('timeout');
  expect(r.body).toContain('upstream request timeout');
  expect(r.ms).toBeGreaterThanOrEqual(280);
  expect(r.ms).toBeLessThan(1500);
});

test('a per-try timeout lets a retry reach a faster endpoint within the route timeout', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await send(proxy.outbound, { host: 'mixed' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('fast');
    expect(r.ms).toBeLessThan(1000);
  }
});
