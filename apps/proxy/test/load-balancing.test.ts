import { afterAll, beforeAll, expect, test } from 'vitest';
import { countBy, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

const delayed = (name: string, ms: number) => startUpstream((_req, res) => setTimeout(() => res.end(name), ms));

let fast: Upstream;
let slow: Upstream;
let plain: Upstream[];
let proxy: ProxyProcess;

beforeAll(async () => {
  fast = await delayed('fast', 2);
  slow = await delayed('slow', 300);
  plain = await Promise.all(['p0', 'p1', 'p2'].map((n) => startUpstream(n)));
  const pair = [endpoint(fast.port), endpoint(slow.port)];
  const three = plain.map((u) => endpoint(u.port));
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({ name: 'least', endpoints: pair, loadBalancer: { algorithm: 'LeastRequest' } }),
        service({ name: 'ewma', endpoints: pair, loadBalancer: { algorithm: 'EWMA' } }),
        service({ name: 'round', endpoints: pair, loadBalancer: { algorithm: 'RoundRobin' } }),
        service({ name: 'even', endpoints: three, loadBalancer: { algorithm: 'RoundRobin' } }),
        service({ name: 'by-header', endpoints: three, loadBalancer: { algorithm: 'ConsistentHash', hashOn: { header: 'x-user' } } }),
        service({ name: 'by-cookie', endpoints: three, loadBalancer: { algorithm: 'ConsistentHash', hashOn: { cookie: 'session' } } }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([fast, slow, ...plain].map((u) => u?.close()));
});

const shareOfFast = async (host: string) => {
  const results = await sendMany(proxy.outbound, 200, 8, { host });
  return (countBy(results, (r) => r.body).get('fast') ?? 0) / results.length;
};

test('least request (power of two choices) prefers the endpoint that answers faster', async () => {
  expect(await shareOfFast('least')).toBeGreaterThan(0.8);
});

test('EWMA prefers the endpoint with the lower latency', async () => {
  expect(await shareOfFast('ewma')).toBeGreaterThan(0.8);
});

test('round robin does not: each endpoint gets half', async () => {
  const share = await shareOfFast('round');
  expect(share).toBeGreaterThan(0.4);
  expect(share).toBeLessThan(0.6);
});

test('round robin spreads evenly over three endpoints', async () => {
  const results = await sendMany(proxy.outbound, 300, 1, { host: 'even' });
  expect([...countBy(results, (r) => r.body).values()]).toEqual([100, 100, 100]);
});

test('consistent hashing on a header sends each user to one endpoint, and users spread out', async () => {
  const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  const results = await sendMany(proxy.outbound, 120, 8, (i) => ({ host: 'by-header', headers: { 'x-user': users[i % 12] ?? '' } }));
  expect(results.every((r) => r.status === 200)).toBe(true);
  const endpointsPerUser = new Map<string, Set<string>>(users.map((u) => [u, new Set()]));
  results.forEach((r, i) => endpointsPerUser.get(users[i % 12] ?? '')?.add(r.body));
  expect([...endpointsPerUser.values()].every((s) => s.size === 1)).toBe(true);
  const used = new Set([...endpointsPerUser.values()].flatMap((s) => [...s]));
  expect(used.size).toBeGreaterThanOrEqual(2);
});

test('consistent hashing on a cookie sticks a session to one endpoint', async () => {
  const results = await sendMany(proxy.outbound, 30, 3, { host: 'by-cookie', headers: { cookie: 'theme=dark; session=abc123; lang=en' } });
  expect(new Set(results.map((r) => r.body)).size).toBe(1);
});
