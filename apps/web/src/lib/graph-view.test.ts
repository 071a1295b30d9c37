import { describe, expect, it } from 'vitest';
import { layeredLayout } from './graph-layout';
import { DEFAULT_VIEW, boxOf, graphView, namespaceBoxId, namespaceNodeId, type ViewOptions } from './graph-view';
import type { GraphEdge, GraphNode, ServiceGraph, Stats } from './trpc';

const stats = (requests: number, successRate = 1, actualSuccessRate = successRate): Stats => ({
  requests,
  rps: requests / 10,
  successRate: requests ? successRate : null,
  p50Ms: 5,
  p95Ms: 9,
  p99Ms: 12,
  retriesPerSecond: 0,
  rateLimitedPerSecond: 0,
  ejections: 0,
  codes: { '2xx': requests, '3xx': 0, '4xx': 0, '5xx': 0 },
  mtlsShare: 1,
  attempts: requests,
  actualSuccessRate: requests ? actualSuccessRate : null,
});
const node = (id: string): GraphNode => {
  const [name = id, namespace = ''] = id.split('.');
  return { id, name, namespace, external: id === 'external', versions: [], policies: [], proxies: { total: 1, inSync: 1 }, inbound: null, security: null };
};
const edge = (source: string, destination: string, s = stats(100)): GraphEdge => ({ id: `${source}->${destination}`, source, destination, stats: s, versions: [], routes: [] });

// shop: web -> cart -> pay; web -> search; billing: pay -> ledger -> audit (a chain to count hops on).
const graph: ServiceGraph = {
  generatedAt: '2026-11-30T00:00:00.000Z',
  windowSeconds: 10,
  nodes: ['external', 'web.shop', 'cart.shop', 'search.shop', 'pay.billing', 'ledger.billing', 'audit.billing', 'idle.shop'].map(node),
  edges: [
    edge('external', 'web.shop'),
    edge('web.shop', 'cart.shop'),
    edge('web.shop', 'search.shop', stats(50, 0.9)),
    edge('cart.shop', 'pay.billing', stats(40, 1, 0.95)),
    edge('cart.shop', 'ledger.billing', stats(60)),
    edge('pay.billing', 'ledger.billing'),
    edge('ledger.billing', 'audit.billing', stats(0)),
  ],
};
const view = (o: Partial<ViewOptions>) => graphView(graph, { ...DEFAULT_VIEW, ...o });
const ids = (g: { nodes: { id: string }[] }) => g.nodes.map((n) => n.id).sort();

describe('the graph at scale: what is drawn', () => {
  it('folds a namespace into one box with its services counted and its edges merged per other end; unfolding restores it', () => {
    const g = view({ collapsed: new Set(['billing']) });
    const box = g.nodes.find((n) => n.id === namespaceNodeId('billing'));
    expect(box?.members).toBe(3);
    expect(ids(g)).toEqual(['cart.shop', 'external', 'idle.shop', namespaceNodeId('billing'), 'search.shop', 'web.shop'].sort());
    // cart -> pay (40 req, 95 % of tries) and cart -> ledger (60 req, all) become one edge; calls inside billing vanish.
    const merged = g.edges.find((e) => e.id === `cart.shop->${namespaceNodeId('billing')}`);
    expect(merged?.stats.requests).toBe(100);
    expect(merged?.stats.successRate).toBe(1);
    expect(merged?.stats.actualSuccessRate).toBeCloseTo((40 * 0.95 + 60) / 100, 5);
    expect(g.edges.some((e) => e.source === namespaceNodeId('billing'))).toBe(false);
    expect(view({ collapsed: new Set() })).toEqual(graph);
  });

  it('focus shows only the neighbourhood: one hop, then two', () => {
    expect(ids(view({ focus: 'pay.billing', hops: 1 }))).toEqual(['cart.shop', 'ledger.billing', 'pay.billing']);
    expect(ids(view({ focus: 'pay.billing', hops: 2 }))).toEqual(['audit.billing', 'cart.shop', 'ledger.billing', 'pay.billing', 'web.shop']);
    const g = view({ focus: 'pay.billing', hops: 1 });
    expect(g.edges.every((e) => ids(g).includes(e.source) && ids(g).includes(e.destination))).toBe(true);
  });

  it('hides idle edges, or everything but the edges with trouble (and keeps their ends)', () => {
    expect(view({ edges: 'traffic' }).edges.map((e) => e.id)).not.toContain('ledger.billing->audit.billing');
    const problems = view({ edges: 'problems' });
    // web -> search at 90 %, cart -> pay at 95 % of tries although callers got 100 %.
    expect(problems.edges.map((e) => e.id).sort()).toEqual(['cart.shop->pay.billing', 'web.shop->search.shop']);
    expect(ids(problems)).toEqual(['cart.shop', 'pay.billing', 'search.shop', 'web.shop']);
  });
});

describe('unfolded namespaces as boxes', () => {
  it('puts each unfolded namespace’s services in a box of its own; folded ones and outside callers in none', () => {
    const g = view({ boxes: true, collapsed: new Set(['billing']) });
    expect(g.nodes.filter((n) => n.box !== undefined).map((n) => [n.id, n.box])).toEqual([[namespaceBoxId('shop'), 4]]);
    for (const id of ['web.shop', 'cart.shop', 'search.shop', 'idle.shop']) expect(g.nodes.find((n) => n.id === id)?.parent).toBe(namespaceBoxId('shop'));
    expect(g.nodes.find((n) => n.id === namespaceNodeId('billing'))?.parent).toBeUndefined();
    expect(g.nodes.find((n) => n.id === 'external')?.parent).toBeUndefined();
    // Boxes come before what they hold (cytoscape adds a child only into a parent it has).
    expect(g.nodes.findIndex((n) => n.id === namespaceBoxId('shop'))).toBeLessThan(g.nodes.findIndex((n) => n.id === 'web.shop'));
    expect(view({ boxes: true }).nodes.filter((n) => n.box !== undefined).map((n) => n.id).sort()).toEqual([namespaceBoxId('billing'), namespaceBoxId('shop')]);
  });

  it('a focus keeps the boxes of the namespaces it reaches, counting only the services drawn', () => {
    const g = view({ boxes: true, focus: 'pay.billing', hops: 1 });
    expect(g.nodes.filter((n) => n.box !== undefined).map((n) => [boxOf(n.id), n.box])).toEqual([
      ['shop', 1],
      ['billing', 2],
    ]);
    expect(g.edges.every((e) => !boxOf(e.source) && !boxOf(e.destination))).toBe(true);
  });

  it('runs top to bottom on a narrow canvas: callers above callees, a layer side by side, idle services in a row under the graph', () => {
    const edges = [
      { source: 'loadgen', destination: 'frontend' },
      { source: 'frontend', destination: 'cart' },
      { source: 'frontend', destination: 'catalog' },
      { source: 'cart', destination: 'payments' },
    ];
    const at = layeredLayout(['cart', 'catalog', 'frontend', 'idle', 'loadgen', 'payments'], edges, { columnGap: 180, rowGap: 176, maxPerColumn: 4, direction: 'down' });
    const p = (id: string) => at.get(id) ?? { x: NaN, y: NaN };
    expect(p('frontend').y - p('loadgen').y).toBe(180);
    expect(p('cart').y).toBe(p('catalog').y);
    expect(Math.abs(p('cart').x - p('catalog').x)).toBe(176);
    expect(p('payments').y - p('cart').y).toBe(180);
    expect(p('idle').y).toBeGreaterThan(p('payments').y);
    // No wider than the graph itself: the idle service starts at its left edge.
    expect(p('idle').x).toBe(Math.min(...[...at.values()].map((q) => q.x)));
  });

  it('lays each namespace out as a band of its own: a box around one covers none of the other’s services', () => {
    const g = view({ boxes: true });
    const groupOf = new Map(g.nodes.filter((n) => n.parent).map((n) => [n.id, boxOf(n.parent ?? '') ?? '']));
    const at = layeredLayout(g.nodes.filter((n) => n.box === undefined).map((n) => n.id), g.edges, { columnGap: 200, rowGap: 44, maxPerColumn: 40, groupOf });
    const extent = (ns: string) => {
      const ys = [...groupOf].filter(([, g2]) => g2 === ns).map(([id]) => at.get(id)?.y ?? NaN);
      return { top: Math.min(...ys), bottom: Math.max(...ys) };
    };
    const [billing, shop] = [extent('billing'), extent('shop')];
    // Bands in name order, a node's height and a box's border and name apart.
    expect(shop.top - billing.bottom).toBeGreaterThanOrEqual(44 * 2);
    // Callers still left of callees, across bands: web -> cart -> pay -> ledger.
    const x = (id: string) => at.get(id)?.x ?? NaN;
    expect(x('web.shop')).toBeLessThan(x('cart.shop'));
    expect(x('cart.shop')).toBeLessThan(x('pay.billing'));
    expect(x('pay.billing')).toBeLessThan(x('ledger.billing'));
    // The idle service is inside its band, under its columns.
    expect(at.get('idle.shop')?.y).toBeGreaterThan(extent('shop').top - 1);
  });
});

describe('versions as their own nodes', () => {
  const canary: ServiceGraph = {
    ...graph,
    nodes: graph.nodes.map((n) => (n.id === 'cart.shop' ? { ...n, versions: ['v1', 'v2'] } : n)),
    edges: graph.edges.map((e) => (e.id === 'web.shop->cart.shop' ? { ...e, versions: [{ version: 'v1', rps: 9, share: 0.9 }, { version: 'v2', rps: 1, share: 0.1 }] } : e)),
  };
  it('draws each version inside its service, calls in split by the measured share, calls out on the service', () => {
    const g = graphView(canary, { ...DEFAULT_VIEW, versions: true });
    expect(g.nodes.filter((n) => n.parent === 'cart.shop').map((n) => n.id)).toEqual(['cart.shop@v1', 'cart.shop@v2']);
    expect(g.edges.find((e) => e.id === 'web.shop->cart.shop@v2')?.stats.requests).toBe(10);
    expect(g.edges.find((e) => e.id === 'web.shop->cart.shop@v1')?.stats.rps).toBeCloseTo(9, 5);
    expect(g.edges.some((e) => e.id === 'web.shop->cart.shop')).toBe(false);
    expect(g.edges.some((e) => e.id === 'cart.shop->pay.billing')).toBe(true);
    expect(graphView(canary, DEFAULT_VIEW).nodes.some((n) => n.parent)).toBe(false);
  });
});
