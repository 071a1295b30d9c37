import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, sendMany } from './support/load.ts';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane.ts';
import { startProxy, tempDir, type ProxyProcess } from './support/proxy.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Issue 12: retries made every request to a flaky service succeed, and the graph said 100 %. Real proxies
// report to a real control plane: the graph API must give both figures for the edge, its route and the
// service, so the dashboard can show "100 % · 95 % before retries".

interface Stats {
  requests: number;
  successRate: number | null;
  attempts: number;
  actualSuccessRate: number | null;
}
interface Graph {
  nodes: { id: string; inbound: Stats | null }[];
  edges: { id: string; stats: Stats; routes: { route: string; stats: Stats }[] }[];
}

let cp: ControlPlaneProcess;
let payments: Upstream;
let paymentsProxy: ProxyProcess;
let checkout: ProxyProcess;

const proxyArgs = (service: string, extra: string[]) => [
  '--service', service, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0',
  '--control-plane', cp.url, '--data-dir', path.join(tempDir(), service), ...extra,
];

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || performance.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  cp = await startControlPlane();
  // One try in twenty fails, whichever request it belongs to: 5 % of tries, and a retry always succeeds.
  payments = await startUpstream((_req, res, hit) => {
    res.writeHead(hit % 20 === 0 ? 503 : 200);
    res.end();
  });
  paymentsProxy = await startProxy({ rawArgs: proxyArgs('payments', ['--app-port', String(payments.port)]), env: await cp.tokenEnv('payments') });
  checkout = await startProxy({ rawArgs: proxyArgs('checkout', []), env: await cp.tokenEnv('checkout') });
  await cp.apply({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'RetryPolicy',
    metadata: { name: 'payments-retries', namespace: 'default' },
    spec: { targetRef: { kind: 'Service', name: 'payments' }, attempts: 3, retryOn: ['5xx'] },
  });
  // Discovery has pushed payments' endpoint to checkout's proxy once a call gets through.
  await until(() => send(checkout.outbound, { host: 'payments' }), (a) => a.status === 200, 20_000);
}, 120_000);

afterAll(async () => {
  await Promise.all([checkout?.stop(), paymentsProxy?.stop()]);
  await cp?.stop('SIGKILL');
  await payments?.close();
});

test('an edge whose callee fails 5 % of tries, all retried, is 100 % effective and 95 % actual: edge, route and service', async () => {
  // Retries may take a moment to reach the caller's proxy; the counts below start from a clean slate.
  await until(async () => {
    const before = payments.hits;
    await sendMany(checkout.outbound, 40, 4, { host: 'payments' });
    return payments.hits - before;
  }, (tries) => tries > 40, 20_000);
  const answers = await sendMany(checkout.outbound, 400, 4, { host: 'payments' });
  expect(answers.every((a) => a.status === 200)).toBe(true);

  // Proxies report about once a second; the 5-minute window holds every request sent above.
  const edgeId = 'checkout.default->payments.default';
  const graph = await until(
    () => cp.query<Graph>('graph.get', { windowSeconds: 300 }),
    (g) => {
      const e = g.edges.find((x) => x.id === edgeId);
      const node = g.nodes.find((n) => n.id === 'payments.default');
      return (e?.stats.requests ?? 0) >= 440 && (node?.inbound?.attempts ?? 0) >= (e?.stats.attempts ?? Infinity);
    },
    20_000,
  );
  const edge = graph.edges.find((x) => x.id === edgeId);
  expect(edge?.stats.successRate).toBe(1);
  expect(edge?.stats.actualSuccessRate).toBeGreaterThanOrEqual(0.94);
  expect(edge?.stats.actualSuccessRate).toBeLessThanOrEqual(0.96);
  expect(edge?.stats.attempts).toBeGreaterThan(edge?.stats.requests ?? Infinity);
  for (const route of edge?.routes ?? []) {
    expect(route.stats.successRate).toBe(1);
    expect(route.stats.actualSuccessRate).toBeCloseTo(edge?.stats.actualSuccessRate ?? 0, 5);
  }
  expect(edge?.routes.length).toBeGreaterThan(0);
  // The service's inbound figures: payments' own proxy sees each try as a request, 5 % of them 503.
  const inbound = graph.nodes.find((n) => n.id === 'payments.default')?.inbound;
  expect(inbound?.actualSuccessRate).toBeGreaterThanOrEqual(0.94);
  expect(inbound?.actualSuccessRate).toBeLessThanOrEqual(0.96);
}, 120_000);
