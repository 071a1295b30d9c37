import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let down: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  // An outage: every request fails.
  down = await startUpstream((_req, res) => {
    res.writeHead(503);
    res.end('down');
  });
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'down',
          endpoints: [endpoint(down.port)],
          policies: { retry: retry({ attempts: 5, budgetRatio: 0.2, budgetMinPerSecond: 10 }) },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await down?.close();
});

test('the retry budget keeps an outage from becoming a retry storm', async () => {
  const started = performance.now();
  const results = await sendMany(proxy.outbound, 600, 20, { host: 'down' });
  const seconds = (performance.now() - started) / 1000;
  expect(results.every((r) => r.status === 503)).toBe(true);
  // 5 attempts each would be 3,000 upstream requests; the budget allows 20 % of requests plus 10 per second.
  const allowed = 600 * 1.2 + 10 * (seconds + 1);
  expect(down.hits).toBeLessThanOrEqual(allowed);
  expect(down.hits).toBeGreaterThan(600);
});
