import { describe, expect, it } from 'vitest';
import { applyLiveGraphMessage, diffLiveGraph, fullLiveGraph, liveGraphMessageSchema, quantiseGraph, type LiveGraphMessage, type ServiceGraph } from '@trellis/shared';
import { MetricWindows } from '../src/telemetry/windows.ts';
import { buildGraph, type KnownService } from '../src/telemetry/graph.ts';
import { LiveGraphFeeds } from '../src/telemetry/live-graph.ts';
import { edgeSecond, prng, syntheticMesh } from '../../../bench/graph-scale/mesh.ts';

const namespaceOf = (i: number) => `team-${i % 10}`;
const service = (id: string, extra: Partial<KnownService> = {}): KnownService => {
  const [name = '', namespace = ''] = id.split('.');
  return { name, namespace, versions: ['v1'], policies: [], proxies: { total: 1, inSync: 1 }, security: { mtlsMode: 'PERMISSIVE', identities: [], certificateExpiry: null }, ...extra };
};
/** What crosses the wire: JSON, read back and checked against the schema as a client that validates would. */
const wire = (m: LiveGraphMessage) => liveGraphMessageSchema.parse(JSON.parse(JSON.stringify(m)));

/** A mesh of `services` services and `edges` edges reporting once a second on a fake clock. */
function simulatedMesh(services: number, edges: number) {
  const mesh = syntheticMesh(services, edges, namespaceOf);
  let now = 1_800_000_000_000;
  const windows = new MetricWindows(50_000, () => now);
  const random = prng(7);
  let traffic = [...mesh.edges];
  let known = mesh.names.map((n, i) => service(`${n}.${namespaceOf(i)}`));
  return {
    mesh,
    second() {
      windows.add(traffic.map((e) => edgeSecond(e, random)), now);
      now += 1000;
    },
    graph: (namespace?: string) => buildGraph(windows, known, 10, namespace, { routes: false }),
    setTraffic: (f: (t: typeof traffic) => typeof traffic) => void (traffic = f(traffic)),
    setServices: (f: (s: KnownService[]) => KnownService[]) => void (known = f(known)),
  };
}

describe('the live graph as deltas', () => {
  it('rebuilds, delta by delta, exactly the graph the server would have sent whole (adds, removes, a namespace, a resync)', () => {
    for (const namespace of [undefined, 'team-3']) {
      const sim = simulatedMesh(60, 200);
      for (let s = 0; s < 10; s++) sim.second();
      let sent = quantiseGraph(sim.graph(namespace));
      let held = applyLiveGraphMessage(null, wire(fullLiveGraph(sent, 0)));
      expect(held?.graph).toEqual(sent);
      const changes = { nodesAdded: 0, nodesRemoved: 0, edgesAdded: 0, edgesRemoved: 0, replaced: 0, figures: 0 };
      for (let seq = 1; seq <= 30; seq++) {
        // Churn: a new caller appears, an edge goes quiet (and leaves the window), a service goes, policies change.
        if (seq === 3) sim.setTraffic((t) => [...t, { source: 'newcomer.team-3', destination: t.find((e) => e.destination.endsWith('.team-3'))?.destination ?? '', rps: 7, errorRate: 0.02, latencyMs: 30 }]);
        if (seq === 5) sim.setTraffic((t) => t.filter((e) => !e.destination.endsWith('team-3')).concat(t.filter((e) => e.destination.endsWith('team-3')).slice(1)));
        // svc-013 is undeclared and its traffic stops: it leaves the graph once its last second leaves the window.
        if (seq === 8) {
          sim.setServices((s) => s.filter((x) => x.name !== 'svc-013'));
          sim.setTraffic((t) => t.filter((e) => !e.source.startsWith('svc-013.') && !e.destination.startsWith('svc-013.')));
        }
        if (seq === 12) sim.setServices((s) => [...s, service('late.team-3')]);
        if (seq === 15) sim.setServices((s) => s.map((x) => (x.name === 'svc-023' ? { ...x, policies: [{ kind: 'RetryPolicy', name: 'r', namespace: x.namespace }] } : x)));
        if (seq === 20) sim.setTraffic((t) => t.map((e, i) => (i % 7 === 0 ? { ...e, rps: e.rps * 3, errorRate: 0.3 } : e)));
        sim.second();
        const next = quantiseGraph(sim.graph(namespace));
        const delta = wire(diffLiveGraph(sent, next, seq));
        if (delta.type !== 'delta') throw new Error('expected a delta');
        changes.nodesRemoved += delta.remove?.nodes?.length ?? 0;
        changes.edgesRemoved += delta.remove?.edges?.length ?? 0;
        for (const s of delta.set?.nodes ?? []) changes[sent.nodes.some((n) => n.id === s.node.id) ? 'replaced' : 'nodesAdded']++;
        for (const s of delta.set?.edges ?? []) changes[sent.edges.some((e) => e.id === s.edge.id) ? 'replaced' : 'edgesAdded']++;
        changes.figures += Object.keys(delta.edges ?? {}).length;
        held = applyLiveGraphMessage(held, delta);
        expect(held?.seq).toBe(seq);
        expect(held?.graph).toEqual(next);
        sent = next;
        // A resync midway: a full graph replaces whatever the viewer held.
        if (seq === 18) {
          held = applyLiveGraphMessage({ seq: 99, graph: { ...sent, nodes: [] } }, wire(fullLiveGraph(sent, seq)));
          expect(held).toEqual({ seq, graph: sent });
        }
      }
      if (namespace) expect(sent.nodes.every((n) => n.external || n.namespace === namespace)).toBe(true);
      // The run did exercise every kind of change.
      for (const [kind, n] of Object.entries(changes)) expect(n, `${namespace ?? 'all'}: ${kind}`).toBeGreaterThan(0);
    }
  });

  it('refuses a delta that does not follow the graph it holds, so the viewer asks for a full graph', () => {
    const sim = simulatedMesh(20, 40);
    for (let s = 0; s < 10; s++) sim.second();
    const g0 = quantiseGraph(sim.graph());
    sim.second();
    const g1 = quantiseGraph(sim.graph());
    sim.second();
    const g2 = quantiseGraph(sim.graph());
    const held = applyLiveGraphMessage(null, fullLiveGraph(g0, 0));
    expect(applyLiveGraphMessage(held, diffLiveGraph(g1, g2, 2))).toBeNull();
    expect(applyLiveGraphMessage(null, diffLiveGraph(g0, g1, 1))).toBeNull();
    expect(applyLiveGraphMessage(held, diffLiveGraph(g0, g1, 1))?.graph).toEqual(g1);
  });

  it('sends at most 50 KB a second per viewer at 500 services and 2,000 edges in steady state', () => {
    const sim = simulatedMesh(500, 2000);
    for (let s = 0; s < 11; s++) sim.second();
    const raw = sim.graph();
    let sent = quantiseGraph(raw);
    const fullBytes = JSON.stringify(fullLiveGraph(sent, 0)).length;
    const seconds = 20;
    let deltaBytes = 0;
    for (let seq = 1; seq <= seconds; seq++) {
      sim.second();
      const next = quantiseGraph(sim.graph());
      deltaBytes += JSON.stringify(diffLiveGraph(sent, next, seq)).length;
      sent = next;
    }
    // One whole graph a minute (the resync) on top of the deltas.
    const perSecond = deltaBytes / seconds + fullBytes / 60;
    console.log(
      `live graph at 500 services / 2,000 edges: the whole graph as JSON ${(JSON.stringify(raw).length / 1e3).toFixed(0)} KB, full message ${(fullBytes / 1e3).toFixed(0)} KB, ` +
        `deltas ${(deltaBytes / seconds / 1e3).toFixed(1)} KB/s, with a resync a minute ${(perSecond / 1e3).toFixed(1)} KB/s per viewer`,
    );
    expect(sent.edges.length).toBe(2000);
    expect(perSecond).toBeLessThan(50_000);
  });
});

describe('the live graph feeds', () => {
  const graphAt = (n: number): ServiceGraph => ({
    generatedAt: new Date(1_800_000_000_000 + n).toISOString(),
    windowSeconds: 10,
    nodes: [],
    edges: [{ id: 'a.x->b.x', source: 'a.x', destination: 'b.x', stats: { requests: 10 * n, rps: n, successRate: 1, p50Ms: 1, p95Ms: 2, p99Ms: 3, retriesPerSecond: 0, rateLimitedPerSecond: 0, ejections: 0, codes: { '2xx': 10 * n, '3xx': 0, '4xx': 0, '5xx': 0 }, mtlsShare: null, attempts: 0, actualSuccessRate: null }, versions: [], routes: [] }],
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('sends the whole graph, then deltas, a resync on schedule, a whole graph to a viewer that fell behind, and frees a feed with its last viewer', async () => {
    const feeds = new LiveGraphFeeds({ intervalMs: 30, resyncMs: 250 });
    let n = 1;
    const build = () => graphAt(n++);
    const fast = new AbortController();
    const kinds: string[] = [];
    const view: { held: ReturnType<typeof applyLiveGraphMessage> } = { held: null };
    const consumer = (async () => {
      for await (const m of feeds.watch('k', build, fast.signal)) {
        kinds.push(m.type);
        view.held = applyLiveGraphMessage(view.held, m);
        expect(view.held).not.toBeNull();
      }
    })();
    // A second viewer of the same question shares the feed, and one that stops reading falls behind.
    const slow = new AbortController();
    const slowIt = feeds.watch('k', build, slow.signal);
    expect((await slowIt.next()).value?.type).toBe('full');
    expect(feeds.size).toBe(1);
    expect((await slowIt.next()).value?.type).toBe('delta');
    await sleep(120);
    expect((await slowIt.next()).value?.type).toBe('full');
    await sleep(400);
    fast.abort();
    slow.abort();
    await slowIt.return(undefined);
    await consumer;
    expect(feeds.size).toBe(0);
    expect(kinds[0]).toBe('full');
    expect(kinds.filter((k) => k === 'delta').length).toBeGreaterThan(5);
    // A resync every 250 ms over about 0.55 s.
    expect(kinds.filter((k) => k === 'full').length).toBeGreaterThanOrEqual(2);
    expect(view.held?.graph.edges[0]?.stats.rps).toBeGreaterThan(5);
  });
});
