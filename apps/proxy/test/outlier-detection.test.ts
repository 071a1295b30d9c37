import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let good1: Upstream;
let good2: Upstream;
let bad: Upstream;
let failing = true;
let proxy: ProxyProcess;

beforeAll(async () => {
  good1 = await startUpstream('good1');
  good2 = await startUpstream('good2');
  bad = await startUpstream((_req, res) => {
    res.writeHead(failing ? 500 : 200);
    res.end(failing ? 'broken' : 'bad-recovered');
  });
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'svc',
          endpoints: [endpoint(good1.port), endpoint(good2.port), endpoint(bad.port)],
          policies: { retry: retry({ attempts: 3, retryOn: ['5xx'] }) },
          circuitBreaker: { outlier: { consecutiveErrors: 3, baseEjectionMs: 1500, maxEjectionMs: 10_000, maxEjectionPercent: 50 } },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([good1?.close(), good2?.close(), bad?.close()]);
});

test('an endpoint that keeps failing is ejected, traffic moves to the others, and it comes back', async () => {
  const first = await sendMany(proxy.outbound, 60, 1, { host: 'svc' });
  expect(first.every((r) => r.status === 200)).toBe(true);
  // It was ejected after 3 consecutive errors: far fewer than its round-robin third of ~80 attempts.
  expect(bad.hits).toBeLessThanOrEqual(5);

  const hitsWhileEjected = bad.hits;
  await sendMany(proxy.outbound, 60, 4, { host: 'svc' });
  expect(bad.hits).toBe(hitsWhileEjected);

  const metrics = await (await fetch(`${proxy.admin}/metrics`)).text();
  expect(metrics).toMatch(/trellis_outlier_ejections_total\{[^}]*destination_service="svc.default"[^}]*\} 1/);

  // Healed, and the ejection time (1.5 s) is over: it gets traffic again.
  failing = false;
  await new Promise((r) => setTimeout(r, 1700));
  const after = await sendMany(proxy.outbound, 30, 1, { host: 'svc' });
  expect(after.filter((r) => r.body === 'bad-recovered').length).toBeGreaterThanOrEqual(8);
});
