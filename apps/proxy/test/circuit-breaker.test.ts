import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let slow: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  slow = await startUpstream((_req, res) => setTimeout(() => res.end('done'), 1000));
  proxy = await startProxy({
    config: snapshot({
      outbound: [service({ name: 'slow', endpoints: [endpoint(slow.port)], circuitBreaker: { maxRequests: 3 } })],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await slow?.close();
});

test('requests over the circuit limit get a fast 503 instead of queueing', async () => {
  const results = await Promise.all(Array.from({ length: 10 }, () => send(proxy.outbound, { host: 'slow' })));
  const byStatus = countBy(results, (r) => r.status);
  expect(byStatus.get(200)).toBe(3);
  expect(byStatus.get(503)).toBe(7);
  const rejected = results.filter((r) => r.status === 503);
  for (const r of rejected) {
    expect(r.headers['x-trellis-reason']).toBe('circuit-open');
    expect(r.ms).toBeLessThan(500);
  }
  expect(slow.hits).toBe(3);
  // Once they finished, the circuit lets requests through again.
  expect((await send(proxy.outbound, { host: 'slow' })).status).toBe(200);
});
