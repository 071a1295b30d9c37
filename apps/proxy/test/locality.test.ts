import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let zoneA: Upstream[];
let zoneB: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  zoneA = await Promise.all([startUpstream('a1'), startUpstream('a2')]);
  zoneB = await startUpstream('b1');
  proxy = await startProxy({
    args: ['--zone', 'zone-a'],
    config: snapshot({
      outbound: [
        service({
          name: 'svc',
          endpoints: [endpoint(zoneA[0]?.port ?? 0, {}, 'zone-a'), endpoint(zoneB.port, {}, 'zone-b'), endpoint(zoneA[1]?.port ?? 0, {}, 'zone-a')],
          loadBalancer: { algorithm: 'RoundRobin', localityAware: true },
          policies: { retry: retry({ attempts: 3, retryOn: ['connect-failure', '5xx'] }) },
          circuitBreaker: { outlier: { consecutiveErrors: 1, baseEjectionMs: 30_000, maxEjectionMs: 60_000, maxEjectionPercent: 100 } },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([...zoneA, zoneB].map((u) => u?.close()));
});

test('a locality-aware service keeps traffic in the proxy zone', async () => {
  const results = await sendMany(proxy.outbound, 100, 4, { host: 'svc' });
  const byBody = countBy(results, (r) => r.body);
  expect(byBody.get('b1')).toBeUndefined();
  expect((byBody.get('a1') ?? 0) + (byBody.get('a2') ?? 0)).toBe(100);
});

test('when the zone has no healthy endpoint left, traffic fails over to the other zone', async () => {
  await Promise.all(zoneA.map((u) => u.close()));
  const results = await sendMany(proxy.outbound, 50, 2, { host: 'svc' });
  expect(results.every((r) => r.status === 200 && r.body === 'b1')).toBe(true);
});
