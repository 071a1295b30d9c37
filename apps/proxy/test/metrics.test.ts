import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let flaky: Upstream;
let app: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  flaky = await startUpstream((_req, res, hit) => {
    res.writeHead(hit % 2 === 0 ? 500 : 200);
    res.end();
  });
  app = await startUpstream((_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' });
    res.end('cached');
  });
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({
      version: 42,
      service: 'shop',
      inbound: {
        rateLimit: { id: 'rl', requestsPerSecond: 1, burst: 3, key: { type: 'None' }, mode: 'Local', failureMode: 'Open' },
        cache: { maxEntries: 10, maxEntryBytes: 1024, maxTotalBytes: 10_240 },
      },
      outbound: [
        service({
          name: 'flaky',
          endpoints: [endpoint(flaky.port)],
          policies: { retry: retry({ attempts: 3, retryOn: ['5xx'] }) },
          circuitBreaker: { maxRequests: 100, outlier: { consecutiveErrors: 1, baseEjectionMs: 100, maxEjectionMs: 100, maxEjectionPercent: 100 } },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([flaky?.close(), app?.close()]);
});

test('/metrics has every metric the issue names, with edge labels', async () => {
  await sendMany(proxy.outbound, 10, 1, { host: 'flaky' });
  for (let i = 0; i < 6; i++) await send(proxy.inbound, { path: '/page' });
  const text = await (await fetch(`${proxy.admin}/metrics`)).text();
  const edge = 'source_service="shop.default",destination_service="flaky.default",route="default"';
  expect(text).toMatch(new RegExp(`trellis_requests_total\\{${edge},code="200"\\} \\d+`));
  expect(text).toMatch(new RegExp(`trellis_request_duration_seconds_bucket\\{${edge},code_class="2xx",le="\\+Inf"\\} \\d+`));
  expect(text).toMatch(new RegExp(`trellis_retries_total\\{${edge}\\} [1-9]`));
  expect(text).toMatch(/trellis_outlier_ejections_total\{[^}]*destination_service="flaky.default"[^}]*\} [1-9]/);
  expect(text).toMatch(/trellis_circuit_open\{source_service="shop.default",destination_service="flaky.default"\} 0/);
  expect(text).toMatch(/trellis_rate_limited_total\{source_service="external",destination_service="shop.default",route="default"\} [1-9]/);
  expect(text).toMatch(/trellis_cache_hits_total\{source_service="external",destination_service="shop.default",route="default"\} [1-9]/);
  expect(text).toMatch(/trellis_config_version\{service="shop.default"\} 42/);
  expect(text).toMatch(/trellis_proxy_process_resident_memory_bytes \d+/);
});

test('/metrics counts garbage-collection pauses by kind, so a proxy that got slower shows whether it collects more', async () => {
  const count = async () => {
    const text = await (await fetch(`${proxy.admin}/metrics`)).text();
    return Number(/^trellis_proxy_nodejs_gc_duration_seconds_count\{kind="minor"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const before = await count();
  // A few thousand requests allocate well past the young generation (8 MB): scavenges happen.
  await sendMany(proxy.inbound, 1000, 50, { path: '/page' });
  const after = await count();
  expect(after).toBeGreaterThan(before);
  const text = await (await fetch(`${proxy.admin}/metrics`)).text();
  expect(text).toMatch(/^trellis_proxy_nodejs_gc_duration_seconds_sum\{kind="minor"\} \d/m);
  expect(text).toMatch(/^trellis_proxy_nodejs_gc_duration_seconds_bucket\{kind="minor",le="\+Inf"\} \d+$/m);
});
