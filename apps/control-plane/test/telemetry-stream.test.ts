import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { applyLiveGraphMessage, type Span } from '@trellis/shared';
import type { AppRouter } from '../src/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, startTestControlPlane } from './support/control-plane.ts';
import { joinToken, sleep } from './support/stream.ts';

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

function serverSpan(service: string, path: string, status = 200): Span {
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    kind: 'server',
    service,
    name: `GET ${path}`,
    startMs: Date.now(),
    durationMs: 12.5,
    status,
    error: status >= 500,
    attributes: { route: 'default', 'http.method': 'GET', 'http.path': path, source: 'frontend.default' },
  };
}

describe('spans from the proxy stream', () => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let collector: http.Server;
  const received: unknown[] = [];
  let proxy: StreamClient;
  beforeAll(async () => {
    // An OTLP/HTTP receiver, as a collector would run it.
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) as unknown });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options, otlpEndpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` });
    proxy = new StreamClient({
      controlPlane: env.cp.url,
      identity: { service: 'catalog', instance: 'catalog-1', proxyVersion: 'test' },
      apply: () => {},
      credentials: tokenCredentials(await joinToken(env.cp.url, 'catalog')),
    });
    await proxy.start();
    while (proxy.state !== 'connected') await sleep(20);
  });
  /** A connected proxy of `service`: a proxy reports only its own service's traffic. */
  const reporters = new Map<string, Promise<StreamClient>>();
  const reporter = (service: string) => {
    let found = reporters.get(service);
    if (!found) {
      found = (async () => {
        const client = new StreamClient({
          controlPlane: env.cp.url,
          identity: { service, instance: `${service}-1`, proxyVersion: 'test' },
          apply: () => {},
          credentials: tokenCredentials(await joinToken(env.cp.url, service)),
        });
        await client.start();
        while (client.state !== 'connected') await sleep(20);
        // Registered once the control plane answered the hello (a trust bundle, then a snapshot).
        for (let i = 0; i < 100 && !client.snapshot; i++) await sleep(20);
        return client;
      })();
      reporters.set(service, found);
    }
    return found;
  };
  afterAll(async () => {
    for (const r of reporters.values()) await (await r).close();
    await proxy?.close();
    await env?.cp.close();
    await db?.cleanup();
    collector?.close();
  });

  it('streams live requests of one service to a tap subscriber', async () => {
    const wsClient = createWSClient({ url: `${env.cp.url.replace('http', 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: { token: TEST_BOOTSTRAP_TOKEN } });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const events: { path: string; status: number; source: string; service: string }[] = [];
    const sub = client.tap.watch.subscribe({ service: 'catalog.default' }, { onData: (e) => events.push(e) });
    try {
      await sleep(300);
      proxy.send({ type: 'spans', spans: [serverSpan('catalog', '/products'), serverSpan('cart', '/cart'), serverSpan('catalog', '/products/7', 503)] });
      for (let i = 0; i < 50 && events.length < 2; i++) await sleep(50);
      // cart's span was for another service: not shown.
      expect(events.map((e) => [e.service, e.path, e.status, e.source])).toEqual([
        ['catalog.default', '/products', 200, 'frontend.default'],
        ['catalog.default', '/products/7', 503, 'frontend.default'],
      ]);
    } finally {
      sub.unsubscribe();
      await wsClient.close();
    }
  });

  it('turns metric deltas into the live graph (pushed about once a second) and time series', async () => {
    const wsClient = createWSClient({ url: `${env.cp.url.replace('http', 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: { token: TEST_BOOTSTRAP_TOKEN } });
    const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
    const graphs: { at: number; rps: number }[] = [];
    let held: ReturnType<typeof applyLiveGraphMessage> = null;
    const sub = client.graph.live.subscribe(
      { windowSeconds: 5 },
      {
        // A whole graph first, then deltas: the graph as the dashboard holds it after each message.
        onData: (msg) => {
          held = applyLiveGraphMessage(held, msg);
          graphs.push({ at: Date.now(), rps: held?.graph.edges.find((e) => e.id === 'frontend.default->catalog.default')?.stats.rps ?? 0 });
        },
      },
    );
    try {
      const frontend = await reporter('frontend');
      for (let s = 0; s < 4; s++) {
        frontend.send({
          type: 'metrics',
          report: {
            at: Date.now(),
            intervalMs: 1000,
            edges: [
              {
                source: 'frontend.default',
                destination: 'catalog.default',
                route: 'default',
                version: 'v1',
                side: 'outbound',
                codes: { '2xx': 48, '3xx': 0, '4xx': 0, '5xx': 2 },
                latency: { '40': 50 },
                retries: 1,
                rateLimited: 3,
                ejections: 0,
              },
            ],
          },
        });
        await sleep(1000);
      }
      await sleep(1200);
      // About one graph a second, and the edge's traffic shows in them.
      expect(graphs.length).toBeGreaterThanOrEqual(4);
      expect(graphs.length).toBeLessThanOrEqual(8);
      expect(Math.max(...graphs.map((g) => g.rps))).toBeGreaterThan(0);
      const series = await env.client.metrics.series.query({ scope: 'edge', source: 'frontend.default', destination: 'catalog.default', windowSeconds: 60 });
      expect(series.resolutionSeconds).toBe(1);
      const total = series.points.reduce((sum, p) => sum + p.requests, 0);
      expect(total).toBe(200);
      expect(series.points.reduce((sum, p) => sum + p.codes['5xx'], 0)).toBe(8);
      const busy = series.points.filter((p) => p.requests > 0);
      expect(busy.every((p) => p.rateLimitedPerSecond === 3 && p.retriesPerSecond === 1)).toBe(true);
      const byService = await env.client.metrics.series.query({ scope: 'service', service: 'catalog.default', windowSeconds: 60 });
      expect(byService.points.reduce((sum, p) => sum + p.requests, 0)).toBe(200);
    } finally {
      sub.unsubscribe();
      await wsClient.close();
    }
  });

  it('answers metrics.series for one route of a service, from every caller or from one', async () => {
    const edge = (source: string, route: string, ok: number, failed: number, destination = 'reviews.default') => ({
      source,
      destination,
      route,
      version: 'v1',
      side: 'outbound' as const,
      codes: { '2xx': ok, '3xx': 0, '4xx': 0, '5xx': failed },
      latency: { '10': ok + failed },
      retries: 0,
      rateLimited: 0,
      ejections: 0,
    });
    const [frontend, admin] = await Promise.all([reporter('frontend'), reporter('admin')]);
    for (let s = 0; s < 3; s++) {
      const report = (edges: ReturnType<typeof edge>[]) => ({ type: 'metrics' as const, report: { at: Date.now(), intervalMs: 1000, edges } });
      frontend.send(report([edge('frontend.default', 'get-review', 10, 0), edge('frontend.default', 'default', 3, 0), edge('frontend.default', 'get-review', 7, 0, 'ratings.default')]));
      admin.send(report([edge('admin.default', 'get-review', 5, 1)]));
    }
    // Series end with the last whole second: wait until that covers the three reports.
    const serviceTotal = async () =>
      (await env.client.metrics.series.query({ scope: 'service', service: 'reviews.default', windowSeconds: 60 })).points.reduce((sum, p) => sum + p.requests, 0);
    for (let i = 0; i < 50 && (await serviceTotal()) < 57; i++) await sleep(100);
    const series = async (route: string, source?: string, destination = 'reviews.default') => {
      const r = await env.client.metrics.series.query({ scope: 'route', destination, route, ...(source ? { source } : {}), windowSeconds: 60 });
      return {
        resolutionSeconds: r.resolutionSeconds,
        requests: r.points.reduce((sum, p) => sum + p.requests, 0),
        failed: r.points.reduce((sum, p) => sum + p.codes['5xx'], 0),
      };
    };
    // Both callers of the route, and neither the service's other route nor another service's route of the same name.
    expect(await series('get-review')).toEqual({ resolutionSeconds: 1, requests: 48, failed: 3 });
    expect(await series('get-review', 'frontend.default')).toMatchObject({ requests: 30, failed: 0 });
    expect(await series('get-review', 'admin.default')).toMatchObject({ requests: 18, failed: 3 });
    expect(await series('default')).toMatchObject({ requests: 9, failed: 0 });
    expect((await series('get-review', 'frontend.default', 'ratings.default')).requests).toBe(21);
    // A route nobody called, a caller that never called it.
    expect((await series('list-reviews')).requests).toBe(0);
    expect((await series('default', 'admin.default')).requests).toBe(0);
    // The service as a whole: every route, every caller.
    expect(await serviceTotal()).toBe(57);
  });

  it('answers traces.search within a time range', async () => {
    const now = Date.now();
    const at = (ago: number) => ({ ...serverSpan('search-range', '/r'), startMs: now - ago });
    const [old, middle, recent] = [at(120_000), at(60_000), at(1_000)];
    (await reporter('search-range')).send({ type: 'spans', spans: [old, middle, recent] });
    const search = (q: { fromMs?: number; toMs?: number }) => env.client.traces.search.query({ service: 'search-range.default', ...q });
    for (let i = 0; i < 50 && (await search({})).length < 3; i++) await sleep(100);
    expect((await search({})).map((t) => t.traceId)).toEqual([recent.traceId, middle.traceId, old.traceId]);
    expect((await search({ fromMs: now - 90_000, toMs: now - 30_000 })).map((t) => t.traceId)).toEqual([middle.traceId]);
    expect((await search({ fromMs: now - 90_000 })).map((t) => t.traceId)).toEqual([recent.traceId, middle.traceId]);
    expect((await search({ toMs: now - 90_000 })).map((t) => t.traceId)).toEqual([old.traceId]);
  });

  it('exports spans to an OTLP/HTTP collector when one is configured', async () => {
    const span = serverSpan('catalog', '/export-me');
    proxy.send({ type: 'spans', spans: [span] });
    type Export = { path: string; contentType: string; body: { resourceSpans: { resource: unknown; scopeSpans: { spans: { traceId: string; name: string; kind: number }[] }[] }[] } };
    let found: Export | undefined;
    for (let i = 0; i < 60 && !found; i++) {
      await sleep(100);
      found = (received as Export[]).find((r) => r.body.resourceSpans.some((rs) => rs.scopeSpans.some((ss) => ss.spans.some((s) => s.traceId === span.traceId))));
    }
    expect(found?.path).toBe('/v1/traces');
    expect(found?.contentType).toBe('application/json');
    const resource = found?.body.resourceSpans.find((rs) => rs.scopeSpans.some((ss) => ss.spans.some((s) => s.traceId === span.traceId)));
    expect(resource?.resource).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 'catalog.default' } }] });
    expect(resource?.scopeSpans[0]?.spans.find((s) => s.traceId === span.traceId)).toMatchObject({ name: 'GET /export-me', kind: 2 });
  });

  it('takes only the traffic of the reporting proxy: forged edges and spans of other services, and impossible counts, never reach the graph', async () => {
    const forger = await reporter('forger');
    const refused = async (kind: string) => {
      const text = await (await fetch(`${env.cp.url}/metrics`, { headers: { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` } })).text();
      return Number(new RegExp(`trellis_cp_telemetry_refused_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const before = { edge: await refused('edge'), span: await refused('span') };
    const edge = (source: string, destination: string, side: 'outbound' | 'inbound', ok: number) => ({
      source,
      destination,
      route: 'default',
      side,
      codes: { '2xx': ok, '3xx': 0, '4xx': 0, '5xx': 0 },
      latency: {},
      retries: 0,
      rateLimited: 0,
      ejections: 0,
    });
    // Another service's calls, a meshed caller seen from the callee, traffic into another service, and a 1e15 count.
    forger.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [edge('cart.default', 'payments.default', 'outbound', 100), edge('cart.default', 'forger.default', 'inbound', 100), edge('external', 'payments.default', 'inbound', 100)] } });
    forger.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [edge('forger.default', 'payments.default', 'outbound', 1e15)] } });
    forger.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [{ ...edge('forger.default', 'payments.default', 'outbound', 5), codes: { '2xx': -5, '3xx': 0, '4xx': 0, '5xx': 0 } }] } });
    const forged = serverSpan('payments', '/forged');
    forger.send({ type: 'spans', spans: [forged] });
    // What it may report: its own calls.
    forger.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [edge('forger.default', 'catalog.default', 'outbound', 7)] } });
    let own = 0;
    for (let i = 0; i < 50 && own === 0; i++) {
      await sleep(100);
      own = (await env.client.metrics.series.query({ scope: 'edge', source: 'forger.default', destination: 'catalog.default', windowSeconds: 60 })).points.reduce((n, p) => n + p.requests, 0);
    }
    expect(own).toBe(7);
    const graph = await env.client.graph.get.query({ windowSeconds: 60 });
    const ids = graph.edges.map((e) => e.id);
    expect(ids).not.toContain('cart.default->payments.default');
    expect(ids).not.toContain('external->payments.default');
    expect(ids).not.toContain('forger.default->payments.default');
    expect(graph.edges.every((e) => e.stats.rps >= 0 && e.stats.rps < 1e6)).toBe(true);
    expect(await env.client.traces.search.query({ service: 'payments.default' })).toEqual([]);
    // The three edges that were not its own are counted; the reports with impossible counts were refused whole.
    expect({ edge: (await refused('edge')) - before.edge, span: (await refused('span')) - before.span }).toEqual({ edge: 3, span: 1 });
  });
});
