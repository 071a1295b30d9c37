import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let app: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  app = await startUpstream('ok');
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({ name: 'aborts', endpoints: [endpoint(app.port)], policies: { fault: { abort: { percentage: 25, status: 418 } } } }),
        service({ name: 'delays', endpoints: [endpoint(app.port)], policies: { fault: { delay: { percentage: 50, ms: 200 } } } }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

test('an abort fault fails its share of requests with the configured status, without reaching the upstream', async () => {
  const before = app.hits;
  const results = await sendMany(proxy.outbound, 800, 16, { host: 'aborts' });
  const aborted = results.filter((r) => r.status === 418);
  expect(aborted.length / 800).toBeGreaterThan(0.2);
  expect(aborted.length / 800).toBeLessThan(0.3);
  expect(aborted[0]?.headers['x-trellis-reason']).toBe('fault-injected');
  expect(app.hits - before).toBe(800 - aborted.length);
});

test('a delay fault slows its share of requests by the configured time', async () => {
  const results = await sendMany(proxy.outbound, 200, 50, { host: 'delays' });
  expect(results.every((r) => r.status === 200)).toBe(true);
  const delayed = results.filter((r) => r.ms >= 195).length;
  expect(delayed / 200).toBeGreaterThan(0.38);
  expect(delayed / 200).toBeLessThan(0.62);
});
