import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let v1: Upstream;
let v2: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  v1 = await startUpstream('v1');
  v2 = await startUpstream('v2');
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'reviews',
          endpoints: [endpoint(v1.port, { version: 'v1' }), endpoint(v2.port, { version: 'v2' })],
          policies: {
            split: {
              backends: [
                { name: 'stable', selector: { version: 'v1' }, weight: 90 },
                { name: 'canary', selector: { version: 'v2' }, weight: 10 },
              ],
            },
          },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([v1?.close(), v2?.close()]);
});

test('a 90/10 split sends 90 % ± 3 points of 2,000 requests to v1 and the rest to v2', async () => {
  const results = await sendMany(proxy.outbound, 2000, 32, { host: 'reviews' });
  const bodies = countBy(results, (r) => r.body);
  expect(results.every((r) => r.status === 200)).toBe(true);
  const shareV2 = (bodies.get('v2') ?? 0) / 2000;
  expect(shareV2).toBeGreaterThanOrEqual(0.07);
  expect(shareV2).toBeLessThanOrEqual(0.13);
  expect((bodies.get('v1') ?? 0) + (bodies.get('v2') ?? 0)).toBe(2000);
});

test('every Host form of the service reaches it: name, name.namespace, FQDN, with a port', async () => {
  for (const host of ['reviews', 'reviews.default', 'reviews.default.svc.cluster.local', 'reviews:9080', 'REVIEWS.default']) {
    const [r] = await sendMany(proxy.outbound, 1, 1, { host });
    expect(r?.status, host).toBe(200);
  }
});

test('an unknown Host gets 404 with reason unknown-service', async () => {
  const [r] = await sendMany(proxy.outbound, 1, 1, { host: 'nope' });
  expect(r?.status).toBe(404);
  expect(r?.headers['x-trellis-reason']).toBe('unknown-service');
  expect(r?.body).toContain('unknown service');
});
