import { expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream } from './support/upstream.ts';

test('SIGTERM stops accepting, lets requests in flight finish, and exits 0', async () => {
  const slow = await startUpstream((_req, res) => setTimeout(() => res.end('finished'), 1000));
  const proxy = await startProxy({ config: snapshot({ outbound: [service({ name: 'slow', endpoints: [endpoint(slow.port)] })] }) });
  try {
    const inFlight = Array.from({ length: 5 }, () => send(proxy.outbound, { host: 'slow' }));
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    proxy.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    // New connections are refused while the old requests still run.
    await expect(fetch(`${proxy.outbound}/`, { headers: { host: 'slow' } })).rejects.toThrow();
    const results = await Promise.all(inFlight);
    expect(results.map((r) => `${r.status} ${r.body}`)).toEqual(Array(5).fill('200 finished'));
    expect(await proxy.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5000);
  } finally {
    await proxy.stop('SIGKILL');
    await slow.close();
  }
});

test('requests still running at the drain deadline are cut, and the proxy still exits 0', async () => {
  const hanging = await startUpstream(() => undefined);
  const proxy = await startProxy({
    config: snapshot({ outbound: [service({ name: 'hang', endpoints: [endpoint(hanging.port)] })] }),
    args: ['--drain-timeout', '500'],
  });
  try {
    const stuck = send(proxy.outbound, { host: 'hang' }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await stuck).toBeInstanceOf(Error);
  } finally {
    await proxy.stop('SIGKILL');
    await hanging.close();
  }
});
