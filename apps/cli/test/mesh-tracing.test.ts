import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlaneProcess } from './support/run.ts';
import { api, get, sleep, startApp, startProxy, type MeshProxy } from './support/mesh.ts';

// One request through three services is one trace: server and client spans of every hop, linked parent
// to child, with each retry attempt as its own client span.
describe('distributed tracing through the mesh', () => {
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

  it('links a request through a -> b -> c into one trace, retries visible as separate attempts', async () => {
    const client = api(cp.url);
    await client.resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'RetryPolicy', metadata: { name: 'c-retry' }, spec: { targetRef: { kind: 'Service', name: 'c' }, attempts: 3, backoff: { baseInterval: '5ms', maxInterval: '10ms' } } },
    });
    // c fails its first request of every two: the first attempt fails, the retry succeeds.
    const c = await startApp({ status: (n) => (n % 2 === 0 ? 503 : 200) });
    const b = await startApp({ calls: ['c'] });
    const a = await startApp({ calls: ['b'] });
    apps.push(a, b, c);
    const pc = await startProxy(cp.url, 'c', c.port);
    const pb = await startProxy(cp.url, 'b', b.port);
    const pa = await startProxy(cp.url, 'a', a.port);
    proxies.push(pa, pb, pc);
    a.setOutbound(pa.outbound);
    b.setOutbound(pb.outbound);
    // Until b's proxy has c's endpoint and the retry policy, and a's has b's.
    for (let i = 0; i < 100; i++) {
      const snapshot = (await (await fetch(`http://127.0.0.1:${pb.admin}/config`)).json()) as { snapshot?: { outbound: { services: { name: string; endpoints: unknown[]; routes: { policies: { retry?: unknown } }[] }[] } } };
      const cs = snapshot.snapshot?.outbound.services.find((s) => s.name === 'c');
      const aConfig = (await (await fetch(`http://127.0.0.1:${pa.admin}/config`)).json()) as { snapshot?: { outbound: { services: { name: string; endpoints: unknown[] }[] } } };
      const bs = aConfig.snapshot?.outbound.services.find((s) => s.name === 'b');
      if (cs?.endpoints.length && cs.routes.some((r) => r.policies.retry) && bs?.endpoints.length) break;
      await sleep(100);
    }

    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await get(pa.inbound, 'a', '/order', { traceparent: `00-${traceId}-${callerSpan}-01` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ calls: [200] }); // a got b's answer; b got c's after a retry

    type Spans = Awaited<ReturnType<typeof client.traces.get.query>>['spans'];
    let spans: Spans = [];
    for (let i = 0; i < 50 && spans.length < 7; i++) {
      await sleep(200);
      spans = (await client.traces.get.query({ traceId }).catch(() => ({ spans: [] as Spans }))).spans;
    }
    const find = (kind: 'server' | 'client', service: string) => spans.filter((s) => s.kind === kind && s.service === `${service}.default`);
    const [serverA] = find('server', 'a');
    const [clientAB] = find('client', 'a');
    const [serverB] = find('server', 'b');
    const clientBC = find('client', 'b').sort((x, y) => Number(x.attributes['retry.attempt']) - Number(y.attributes['retry.attempt']));
    const serverC = find('server', 'c');
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['a.default', 'b.default', 'c.default']));
    // a's server span continues the caller's trace.
    expect(serverA?.parentSpanId).toBe(callerSpan);
    expect(clientAB?.parentSpanId).toBe(serverA?.spanId);
    expect(clientAB?.attributes.destination).toBe('b.default');
    expect(serverB?.parentSpanId).toBe(clientAB?.spanId);
    // Two attempts from b to c, each its own client span under b's server span; the first failed.
    expect(clientBC).toHaveLength(2);
    expect(clientBC.map((s) => s.parentSpanId)).toEqual([serverB?.spanId, serverB?.spanId]);
    expect(clientBC.map((s) => s.attributes['retry.attempt'])).toEqual([0, 1]);
    expect(clientBC.map((s) => s.status)).toEqual([503, 200]);
    expect(clientBC[0]?.error).toBe(true);
    // c saw both attempts; each server span is the child of the attempt that reached it.
    expect(serverC).toHaveLength(2);
    expect(new Set(serverC.map((s) => s.parentSpanId))).toEqual(new Set(clientBC.map((s) => s.spanId)));

    // The trace is found by edge and by service.
    const byEdge = await client.traces.search.query({ source: 'b.default', destination: 'c.default' });
    expect(byEdge.map((t) => t.traceId)).toContain(traceId);
    expect((await client.traces.search.query({ service: 'c.default' })).map((t) => t.traceId)).toContain(traceId);
    expect(await client.traces.search.query({ source: 'c.default', destination: 'b.default' })).toEqual([]);
  });
});
