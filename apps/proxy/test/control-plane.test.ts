import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane.ts';
import { startProxy, tempDir, type ProxyProcess } from './support/proxy.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// The whole loop with a real control plane: proxies register, get snapshots, report telemetry; policies
// applied through the API change traffic; losing the control plane changes nothing.

let cp: ControlPlaneProcess;
let app: Upstream;
let reviews: ProxyProcess;
let web: ProxyProcess;
let webEnv: Record<string, string>;
const webDataDir = path.join(tempDir(), 'web');

const webArgs = () => ['--service', 'web', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', webDataDir];

const faultPolicy = {
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'FaultPolicy',
  metadata: { name: 'reviews-teapot', namespace: 'default' },
  spec: { targetRef: { kind: 'Service', name: 'reviews' }, abort: { percentage: 100, httpStatus: 418 } },
};

/** Polls until the caller's proxy routes to reviews (discovery pushed the endpoint). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

beforeAll(async () => {
  cp = await startControlPlane();
  app = await startUpstream('reviews app');
  reviews = await startProxy({
    rawArgs: ['--service', 'reviews', '--app-port', String(app.port), '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', path.join(tempDir(), 'reviews'), '--label', 'version=v1'],
    env: await cp.tokenEnv('reviews'),
  });
  webEnv = await cp.tokenEnv('web');
  web = await startProxy({ rawArgs: webArgs(), env: webEnv });
  await until(async () => (await send(web.outbound, { host: 'reviews' })).status === 200, 10_000);
}, 120_000);

afterAll(async () => {
  await Promise.all([web?.stop(), reviews?.stop()]);
  await cp?.stop('SIGKILL');
  await app?.close();
});

test('a policy applied on the control plane changes what the proxy does within 1 s', async () => {
  // Timed from when the API has accepted the policy (the write itself can take a while on a busy machine).
  await cp.apply(faultPolicy);
  const applied = await until(async () => (await send(web.outbound, { host: 'reviews' })).status === 418, 3000);
  expect(applied).toBeLessThan(1000);
  await cp.remove('FaultPolicy', 'reviews-teapot');
  const removed = await until(async () => (await send(web.outbound, { host: 'reviews' })).status === 200, 3000);
  expect(removed).toBeLessThan(1000);
});

test('traffic telemetry reaches the control plane: a trace with both proxies\' spans, and edge metrics', async () => {
  const traceId = 'aaaabbbbccccddddeeeeffff00001111';
  for (let i = 0; i < 5; i++) {
    await send(web.outbound, { host: 'reviews', headers: { traceparent: `00-${traceId}-1111222233334444-01` } });
  }
  // Spans are batched once a second.
  let spans: Array<{ kind: string; service: string; spanId: string; parentSpanId?: string }> = [];
  await until(async () => {
    try {
      spans = (await cp.query<{ spans: typeof spans }>('traces.get', { traceId })).spans;
    } catch {
      return false;
    }
    // Each proxy sends its batch on its own one-second tick.
    return spans.filter((s) => s.kind === 'server').length >= 5 && spans.filter((s) => s.kind === 'client').length >= 5;
  }, 5000);
  const client = spans.find((s) => s.kind === 'client' && s.service === 'web.default');
  expect(client?.parentSpanId).toBe('1111222233334444');
  expect(spans.some((s) => s.kind === 'server' && s.service === 'reviews.default' && s.parentSpanId === client?.spanId)).toBe(true);

  await until(async () => {
    const series = await cp.query<{ points: Array<{ requests: number }> }>('metrics.series', {
      scope: 'edge',
      source: 'web.default',
      destination: 'reviews.default',
      windowSeconds: 60,
    });
    return series.points.reduce((n, p) => n + p.requests, 0) >= 5;
  }, 5000);
});

test('stopping the control plane changes nothing for traffic, and a restarted proxy serves from its disk copy', async () => {
  await cp.apply({ ...faultPolicy, spec: { ...faultPolicy.spec, abort: { percentage: 100, httpStatus: 429 } } });
  await until(async () => (await send(web.outbound, { host: 'reviews' })).status === 429, 3000);
  await cp.remove('FaultPolicy', 'reviews-teapot');
  await until(async () => (await send(web.outbound, { host: 'reviews' })).status === 200, 3000);

  await cp.stop('SIGKILL');
  const during = await sendMany(web.outbound, 200, 4, { host: 'reviews' });
  expect(during.every((r) => r.status === 200 && r.body === 'reviews app')).toBe(true);

  await web.stop();
  web = await startProxy({ rawArgs: webArgs() });
  expect((await fetch(`${web.admin}/ready`)).status).toBe(200);
  const config = (await (await fetch(`${web.admin}/config`)).json()) as { source: string };
  expect(config.source).toBe('disk');
  const after = await sendMany(web.outbound, 50, 4, { host: 'reviews' });
  expect(after.every((r) => r.status === 200 && r.body === 'reviews app')).toBe(true);
});
