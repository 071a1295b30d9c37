import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlaneProcess } from './support/run.ts';
import { api, get, sleep, startApp, startEntryProxy, startProxy, type MeshProxy } from './support/mesh.ts';

// A small real mesh (control plane, two sidecars, two apps): traffic of a known rate and error share
// must show up on the graph as it was sent, and agree with the proxies' own Prometheus counters.
describe('the service graph reflects the traffic sent', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  const proxies: MeshProxy[] = [];
  const apps: Awaited<ReturnType<typeof startApp>>[] = [];
  beforeAll(async () => {
    cp = await startControlPlaneProcess();
  });
  afterAll(async () => {
    for (const p of proxies) await p.stop();
    for (const a of apps) await a.close();
    await cp?.stop();
  });

  it('shows rps and success within 5 % of what was sent, per edge', async () => {
    // back fails every 5th request: a 20 % error share on front -> back.
    const back = await startApp({ status: (n) => (n % 5 === 4 ? 503 : 200) });
    const front = await startApp({ calls: ['back'] });
    apps.push(back, front);
    const backProxy = await startProxy(cp.url, 'back', back.port);
    const frontProxy = await startEntryProxy(cp.url, 'front', front.port);
    proxies.push(backProxy, frontProxy);
    front.setOutbound(frontProxy.outbound);

    // Wait until front's proxy knows back's endpoint.
    for (let i = 0; i < 50; i++) {
      const r = await get(frontProxy.outbound, 'back');
      if (r.status === 200 || (r.status === 503 && r.headers['x-trellis-reason'] === undefined)) break;
      await sleep(100);
    }
    await sleep(2500); // let that warm-up traffic fall out of the counted window's edges

    const rps = 40;
    const seconds = 10;
    const total = rps * seconds;
    const started = Date.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rps;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      pending.push(
        get(frontProxy.inbound, 'front', '/page').then((r) => (JSON.parse(r.body) as { calls: number[] }).calls[0] ?? 0),
      );
    }
    const backStatuses = await Promise.all(pending);
    const sentSeconds = (Date.now() - started) / 1000;
    const backErrors = backStatuses.filter((s) => s >= 500).length;
    await sleep(2500); // the last per-second deltas arrive

    const window = 30;
    const graph = await api(cp.url).graph.get.query({ windowSeconds: window });
    const edge = (id: string) => graph.edges.find((e) => e.id === id);
    const external = edge('external->front.default');
    const frontBack = edge('front.default->back.default');
    expect(external, JSON.stringify(graph.edges.map((e) => e.id))).toBeDefined();
    expect(frontBack).toBeDefined();
    // Counts: the warm-up requests may fall inside the window, so allow the 5 %.
    for (const e of [external, frontBack]) {
      expect(e?.stats.requests).toBeGreaterThanOrEqual(total * 0.95);
      expect(e?.stats.requests).toBeLessThanOrEqual(total * 1.05);
      expect(e?.stats.rps).toBeCloseTo((e?.stats.requests ?? 0) / window, 5);
    }
    // The rate while sending, as the graph sees it: requests over the seconds they were sent in.
    expect(((frontBack?.stats.requests ?? 0) / sentSeconds) / rps).toBeGreaterThan(0.95);
    expect(((frontBack?.stats.requests ?? 0) / sentSeconds) / rps).toBeLessThan(1.05);
    expect(external?.stats.successRate).toBeGreaterThan(0.99);
    const sentSuccess = 1 - backErrors / total;
    expect(Math.abs((frontBack?.stats.successRate ?? 0) - sentSuccess)).toBeLessThan(0.05);
    expect(frontBack?.stats.p99Ms).toBeGreaterThan(0);

    // The proxy's own /metrics counts the same requests.
    const metrics = await (await fetch(`http://127.0.0.1:${frontProxy.admin}/metrics`)).text();
    const counted = [...metrics.matchAll(/^trellis_requests_total\{source_service="front\.default",destination_service="back\.default"[^}]*\} (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    const failed = [...metrics.matchAll(/^trellis_requests_total\{source_service="front\.default",destination_service="back\.default"[^}]*code="5\d\d"\} (\d+)/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    const all = await api(cp.url).graph.get.query({ windowSeconds: 120 });
    const allFrontBack = all.edges.find((e) => e.id === 'front.default->back.default');
    expect(allFrontBack?.stats.requests).toBe(counted);
    expect(allFrontBack?.stats.codes['5xx']).toBe(failed);
  });
});
