import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlaneProcess } from './support/run.ts';
import { api, get, sleep, startApp, startEntryProxy, startProxy, type MeshProxy } from './support/mesh.ts';

type Client = ReturnType<typeof api>;
type Spans = Awaited<ReturnType<Client['traces']['get']['query']>>['spans'];

/** A proxy's /config snapshot, the parts these tests wait on. */
interface ProxyConfig {
  snapshot?: {
    tracing: { sampling: number };
    inbound: { routes: { policies: { rateLimit?: unknown; cache?: unknown } }[] };
    outbound: { services: { name: string; endpoints: unknown[] }[] };
  };
}

async function proxyConfig(p: MeshProxy): Promise<ProxyConfig['snapshot']> {
  return ((await (await fetch(`http://127.0.0.1:${p.admin}/config`)).json()) as ProxyConfig).snapshot;
}

async function waitFor(what: string, check: () => Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls traces.get until the trace has at least `count` spans (spans arrive about once a second). */
async function spansOf(client: Client, traceId: string, count: number): Promise<Spans> {
  let spans: Spans = [];
  for (let i = 0; i < 50 && spans.length < count; i++) {
    await sleep(200);
    spans = (await client.traces.get.query({ traceId }).catch(() => ({ spans: [] as Spans }))).spans;
  }
  return spans;
}

/**
 * An app that records the traceparent of every request it gets, answers by path (/fail: 500, /slow:
 * 200 after 1.2 s, /slow-body: the head at once and the body over 1.2 s, anything else: 200 at once)
 * and, when `calls` names a service, first makes the same
 * request to it through its sidecar, forwarding the trace header, and answers with its status.
 */
async function startRecordingApp(calls?: string) {
  let outbound = 0;
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : '';
      seen.push(traceparent);
      let status = req.url === '/fail' ? 500 : 200;
      if (calls) {
        const r = await request(`http://127.0.0.1:${outbound}${req.url ?? '/'}`, { headers: { host: calls, traceparent } });
        await r.body.dump();
        status = r.statusCode;
      } else if (req.url === '/slow') {
        await sleep(1200);
      } else if (req.url === '/slow-body') {
        res.writeHead(200, { 'content-type': 'text/plain' }).write('o');
        await sleep(1200);
        res.end('k');
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    setOutbound: (port: number) => (outbound = port),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The trace id and sampled flag of a traceparent header. */
function parseTraceparent(value: string | undefined): { traceId: string; sampled: boolean } {
  const m = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/.exec(value ?? '');
  if (!m?.[1] || !m[2]) throw new Error(`not a traceparent: ${value}`);
  return { traceId: m[1], sampled: (parseInt(m[2], 16) & 1) === 1 };
}

// One request through three services is one trace: server and client spans of every hop, linked parent
// to child, with each retry attempt as its own client span.
describe('distributed tracing through the mesh', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  const proxies: MeshProxy[] = [];
  const apps: { close(): Promise<void> }[] = [];
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
    const pa = await startEntryProxy(cp.url, 'a', a.port);
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

    const spans = await spansOf(client, traceId, 7);
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
  it('keeps errors and slow requests of unsampled traces, and nothing else; the unsampled flag travels downstream', async () => {
    const client = api(cp.url);
    // sfront samples no new trace; sback keeps the default (every trace), so sback storing nothing for
    // ordinary requests shows it followed the flag in the traceparent rather than its own ratio.
    await client.resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name: 'sfront' }, spec: { tracing: { sampling: 0 } } },
    });
    const back = await startRecordingApp();
    const front = await startRecordingApp('sback');
    apps.push(back, front);
    const pBack = await startProxy(cp.url, 'sback', back.port);
    const pFront = await startEntryProxy(cp.url, 'sfront', front.port);
    proxies.push(pFront, pBack);
    front.setOutbound(pFront.outbound);
    await waitFor("sfront's sampling policy and sback's endpoint", async () => {
      const s = await proxyConfig(pFront);
      return s?.tracing.sampling === 0 && (s.outbound.services.find((x) => x.name === 'sback')?.endpoints.length ?? 0) > 0;
    });
    expect((await proxyConfig(pBack))?.tracing.sampling).toBe(1);

    const ordinary = 20;
    for (let i = 0; i < ordinary; i++) expect((await get(pFront.inbound, 'sfront', '/ok')).status).toBe(200);
    expect((await get(pFront.inbound, 'sfront', '/fail')).status).toBe(500);
    const slowStarted = Date.now();
    expect((await get(pFront.inbound, 'sfront', '/slow')).status).toBe(200);
    expect(Date.now() - slowStarted).toBeGreaterThan(1000);
    const slowBodyStarted = Date.now();
    expect((await get(pFront.inbound, 'sfront', '/slow-body')).status).toBe(200);
    expect(Date.now() - slowBodyStarted).toBeGreaterThan(1000);

    // Every request reached both apps with a traceparent whose sampled flag is off, and sback saw the
    // same trace as sfront: one decision for the whole path.
    expect(front.seen).toHaveLength(ordinary + 3);
    expect(back.seen).toHaveLength(ordinary + 3);
    const atFront = front.seen.map(parseTraceparent);
    const atBack = back.seen.map(parseTraceparent);
    expect(atFront.every((t) => !t.sampled)).toBe(true);
    expect(atBack.every((t) => !t.sampled)).toBe(true);
    expect(atBack.map((t) => t.traceId)).toEqual(atFront.map((t) => t.traceId));
    expect(new Set(atFront.map((t) => t.traceId)).size).toBe(ordinary + 3);
    const okIds = atFront.slice(0, ordinary).map((t) => t.traceId);
    const failId = atFront[ordinary]?.traceId ?? '';
    const slowId = atFront[ordinary + 1]?.traceId ?? '';
    const slowBodyId = atFront[ordinary + 2]?.traceId ?? '';

    // The failed request is kept whole: sfront's server span, its attempt to sback, sback's server span.
    const failed = await spansOf(client, failId, 3);
    const span = (all: Spans, kind: 'server' | 'client', service: string) => all.find((s) => s.kind === kind && s.service === `${service}.default`);
    const [fServer, fClient, bServer] = [span(failed, 'server', 'sfront'), span(failed, 'client', 'sfront'), span(failed, 'server', 'sback')];
    expect(failed).toHaveLength(3);
    expect([fServer?.status, fClient?.status, bServer?.status]).toEqual([500, 500, 500]);
    expect(failed.every((s) => s.error)).toBe(true);
    expect(fClient?.parentSpanId).toBe(fServer?.spanId);
    expect(bServer?.parentSpanId).toBe(fClient?.spanId);

    // The slow ones too (past the 1 s threshold at every hop), though they succeeded: slow to answer,
    // or quick to answer and slow to send the body (the attempt lasts until its body is over).
    for (const id of [slowId, slowBodyId]) {
      const slow = await spansOf(client, id, 3);
      expect(slow.map((s) => `${s.kind} ${s.service}`).sort()).toEqual(['client sfront.default', 'server sback.default', 'server sfront.default']);
      expect(slow.every((s) => s.status === 200 && !s.error && s.durationMs > 1000)).toBe(true);
    }

    // The ordinary requests left nothing. Each proxy sends its spans in order, and both proxies' spans
    // of the later requests are in, so spans of the earlier ones would be too.
    for (const id of okIds) await expect(client.traces.get.query({ traceId: id })).rejects.toThrow(/not found/);
    for (const service of ['sfront.default', 'sback.default']) {
      const found = await client.traces.search.query({ service, limit: 100 });
      expect(found.map((t) => t.traceId).sort()).toEqual([failId, slowId, slowBodyId].sort());
    }

    // The ratio applies to new traces only: a caller's sampled traceparent is followed, even here.
    const traceId = randomBytes(16).toString('hex');
    expect((await get(pFront.inbound, 'sfront', '/ok', { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` })).status).toBe(200);
    expect(parseTraceparent(back.seen.at(-1)).sampled).toBe(true);
    expect((await spansOf(client, traceId, 3)).map((s) => `${s.kind} ${s.service}`).sort()).toEqual([
      'client sfront.default',
      'server sback.default',
      'server sfront.default',
    ]);
  });

  it('marks client spans rate-limited or cached as the destination proxy answered, like its server spans', async () => {
    const client = api(cp.url);
    const policy = (kind: string, name: string, spec: Record<string, unknown>) =>
      client.resources.upsert.mutate({
        resource: { apiVersion: 'trellis.dev/v1alpha1', kind, metadata: { name }, spec: { targetRef: { kind: 'Service', name }, ...spec } },
      });
    // One request per 100 s: the first passes, the second gets a 429 from limited's proxy.
    await policy('RateLimitPolicy', 'limited', { requestsPerSecond: 0.01, burst: 1 });
    await policy('CachePolicy', 'cached', { defaultTtl: '60s' });
    const limited = await startApp();
    const cached = await startApp();
    const caller = await startApp({ calls: ['limited', 'cached'] });
    apps.push(limited, cached, caller);
    const pLimited = await startProxy(cp.url, 'limited', limited.port);
    const pCached = await startProxy(cp.url, 'cached', cached.port);
    const pCaller = await startEntryProxy(cp.url, 'caller', caller.port);
    proxies.push(pCaller, pLimited, pCached);
    caller.setOutbound(pCaller.outbound);
    await waitFor('the policies and endpoints', async () => {
      const [l, c, from] = await Promise.all([proxyConfig(pLimited), proxyConfig(pCached), proxyConfig(pCaller)]);
      const known = (name: string) => (from?.outbound.services.find((s) => s.name === name)?.endpoints.length ?? 0) > 0;
      return !!l?.inbound.routes.some((r) => r.policies.rateLimit) && !!c?.inbound.routes.some((r) => r.policies.cache) && known('limited') && known('cached');
    });

    const send = async () => {
      const traceId = randomBytes(16).toString('hex');
      const res = await get(pCaller.inbound, 'caller', '/page', { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
      return { traceId, calls: (JSON.parse(res.body) as { calls: number[] }).calls };
    };
    const first = await send();
    const second = await send();
    expect(first.calls).toEqual([200, 200]);
    expect(second.calls).toEqual([429, 200]);
    expect(cached.served()).toBe(1); // the second answer came from cached's proxy

    const attempt = (spans: Spans, destination: string) => spans.filter((s) => s.kind === 'client' && s.attributes.destination === `${destination}.default`);
    const served = (spans: Spans, service: string) => spans.filter((s) => s.kind === 'server' && s.service === `${service}.default`);
    // caller's server span, two attempts, and a server span at each destination.
    const before = await spansOf(client, first.traceId, 5);
    expect(attempt(before, 'limited')).toHaveLength(1);
    expect(attempt(before, 'limited')[0]?.attributes.rate_limited).toBeUndefined();
    expect(attempt(before, 'cached')[0]?.attributes.cache).toBe('MISS');
    expect(served(before, 'cached')[0]?.attributes.cache).toBe('MISS');

    const after = await spansOf(client, second.traceId, 5);
    const [limitedAttempt] = attempt(after, 'limited');
    const [cachedAttempt] = attempt(after, 'cached');
    expect(attempt(after, 'limited')).toHaveLength(1);
    expect(limitedAttempt).toMatchObject({ status: 429, error: false, attributes: { rate_limited: true } });
    expect(cachedAttempt).toMatchObject({ status: 200, attributes: { cache: 'HIT' } });
    expect(cachedAttempt?.attributes.rate_limited).toBeUndefined();
    expect(limitedAttempt?.attributes.cache).toBeUndefined();
    // The same attribute names as the destination's own server spans.
    expect(served(after, 'limited')[0]).toMatchObject({ status: 429, parentSpanId: limitedAttempt?.spanId, attributes: { rate_limited: true } });
    expect(served(after, 'cached')[0]).toMatchObject({ status: 200, parentSpanId: cachedAttempt?.spanId, attributes: { cache: 'HIT' } });
  });
});
