import { describe, expect, it } from 'vitest';
import { latencyBucket, type EdgeDelta } from '@trellis/shared';
import { MetricWindows } from '../src/telemetry/windows.ts';
import { buildGraph } from '../src/telemetry/graph.ts';

/** n requests, of which `reached` reached an endpoint (the proxy answered the rest itself), `mtls` of those over mutual TLS. */
const delta = (source: string, destination: string, route: string, version: string, n: number, mtls = n, reached = n): EdgeDelta => ({
  source,
  destination,
  route,
  version,
  side: 'outbound',
  codes: { '2xx': n, '3xx': 0, '4xx': 0, '5xx': 0 },
  latency: { [latencyBucket(5)]: n },
  retries: 0,
  rateLimited: 0,
  ejections: 0,
  mtls,
  plain: reached - mtls,
  attempts: reached,
  failedAttempts: 0,
});

describe('the service graph', () => {
  let now = 10_000_000;
  const windows = new MetricWindows(100, () => now);
  for (let s = 0; s < 10; s++) {
    windows.add([
      delta('frontend.default', 'reviews.default', 'get-review', 'v1', 9),
      delta('frontend.default', 'reviews.default', 'default', 'v2', 1),
      delta('external', 'frontend.default', 'default', 'v1', 10, 0),
      delta('cart.shop', 'payments.shop', 'default', 'v1', 5, 4),
      // Two of three answered by the caller's proxy (no endpoint yet, say): they were sent over neither transport.
      delta('cart.shop', 'ledger.shop', 'default', 'v1', 3, 1, 1),
      // Every request succeeded, after one try in twenty failed and was retried.
      { ...delta('cart.shop', 'tax.shop', 'default', 'v1', 20), retries: 1, attempts: 21, failedAttempts: 1 },
    ], now);
    now += 1000;
  }
  const security = { mtlsMode: 'STRICT', identities: ['spiffe://trellis.local/ns/default/sa/reviews'], certificateExpiry: '2026-12-01T00:00:00.000Z' };
  const services = [{ name: 'reviews', namespace: 'default', versions: ['v1', 'v2'], policies: [], proxies: { total: 2, inSync: 2 }, security }];

  it('has services as nodes and traffic as edges, with version shares and routes', () => {
    const g = buildGraph(windows, services, 10);
    expect(g.nodes.map((n) => n.id)).toEqual(['cart.shop', 'external', 'frontend.default', 'ledger.shop', 'payments.shop', 'reviews.default', 'tax.shop']);
    const reviews = g.edges.find((e) => e.id === 'frontend.default->reviews.default');
    expect(reviews?.stats.rps).toBeCloseTo(10, 5);
    expect(reviews?.versions).toEqual([
      { version: 'v1', rps: 9, share: 0.9 },
      { version: 'v2', rps: 1, share: 0.1 },
    ]);
    expect(reviews?.routes.map((r) => [r.route, r.stats.requests])).toEqual([
      ['default', 10],
      ['get-review', 90],
    ]);
  });

  it('says which edges are mutual TLS (locked) and how much of the rest is not, and each service\'s identity', () => {
    const g = buildGraph(windows, services, 10);
    const share = (id: string) => g.edges.find((e) => e.id === id)?.stats.mtlsShare;
    expect(share('frontend.default->reviews.default')).toBe(1);
    expect(share('external->frontend.default')).toBe(0);
    expect(share('cart.shop->payments.shop')).toBeCloseTo(0.8, 5);
    expect(share('cart.shop->ledger.shop')).toBe(1);
    expect(g.nodes.find((n) => n.id === 'reviews.default')?.security).toEqual(security);
    expect(g.nodes.find((n) => n.id === 'external')?.security).toBeNull();
  });

  it('gives the success rate callers got and the one of every try before retries, per edge, route and service', () => {
    const g = buildGraph(windows, services, 10);
    const tax = g.edges.find((e) => e.id === 'cart.shop->tax.shop');
    expect(tax?.stats.successRate).toBe(1);
    expect(tax?.stats.actualSuccessRate).toBeCloseTo(20 / 21, 5);
    expect(tax?.routes[0]?.stats.actualSuccessRate).toBeCloseTo(20 / 21, 5);
    expect(g.nodes.find((n) => n.id === 'tax.shop')?.inbound?.actualSuccessRate).toBeCloseTo(20 / 21, 5);
    expect(g.edges.find((e) => e.id === 'frontend.default->reviews.default')?.stats.actualSuccessRate).toBe(1);
  });

  it('filters by namespace (callers outside the mesh stay), leaves out routes when asked, and answers one edge', () => {
    expect(buildGraph(windows, services, 10, 'shop').edges.map((e) => e.id)).toEqual(['cart.shop->ledger.shop', 'cart.shop->payments.shop', 'cart.shop->tax.shop']);
    expect(buildGraph(windows, services, 10, undefined, { routes: false }).edges.every((e) => e.routes.length === 0)).toBe(true);
    const one = buildGraph(windows, [], 10, undefined, { only: { source: 'frontend.default', destination: 'reviews.default' } });
    expect(one.edges).toHaveLength(1);
    expect(one.edges[0]?.routes).toHaveLength(2);
  });
});
