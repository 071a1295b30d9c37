import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let slow: Upstream;
let a: Upstream;
let b: Upstream;
let proxy: ProxyProcess;

const config = (version: number, port: number) =>
  snapshot({
    version,
    outbound: [service({ name: 'slow', endpoints: [endpoint(slow.port)] }), service({ name: 'svc', endpoints: [endpoint(port)] })],
  });

beforeAll(async () => {
  slow = await startUpstream((_req, res) => setTimeout(() => res.end('slow done'), 800));
  a = await startUpstream('a');
  b = await startUpstream('b');
  proxy = await startProxy({ config: config(1, a.port) });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([slow?.close(), a?.close(), b?.close()]);
});

test('requests in flight during a snapshot swap finish normally', async () => {
  const inFlight = Array.from({ length: 10 }, () => send(proxy.outbound, { host: 'slow' }));
  await new Promise((r) => setTimeout(r, 200));
  await proxy.swap(config(2, b.port));
  const results = await Promise.all(inFlight);
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  expect(results.every((r) => r.body === 'slow done')).toBe(true);
});

test('steady traffic across repeated swaps sees no failure, and each swap takes effect', async () => {
  let stop = false;
  const traffic = (async () => {
    const all = [];
    while (!stop) all.push(...(await sendMany(proxy.outbound, 20, 10, { host: 'svc' })));
    return all;
  })();
  for (let version = 3; version <= 8; version++) {
    await proxy.swap(config(version, version % 2 === 0 ? b.port : a.port));
    await new Promise((r) => setTimeout(r, 100));
  }
  stop = true;
  const results = await traffic;
  expect(results.length).toBeGreaterThan(100);
  expect(results.filter((r) => r.status !== 200)).toEqual([]);
  // Version 8 points at b: that is where traffic goes now.
  expect((await send(proxy.outbound, { host: 'svc' })).body).toBe('b');
});

test('a snapshot the proxy cannot serve is refused and the running one stays', async () => {
  const bad = config(9, a.port);
  const svc = bad.outbound.services[1];
  if (svc) svc.hostnames = ['slow'];
  await expect(proxy.swap(bad, 1000)).rejects.toThrow(/not applied/);
  expect(proxy.log()).toMatch(/hostname "slow" names both/);
  const current = (await (await fetch(`${proxy.admin}/config`)).json()) as { version: number };
  expect(current.version).toBe(8);
  expect((await send(proxy.outbound, { host: 'svc' })).body).toBe('b');
});
