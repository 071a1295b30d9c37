import { describe, expect, it } from 'vitest';
import type { EdgeDelta } from '@trellis/shared';
import pg from 'pg';
import { openDatabase, parseDatabaseUrl } from '../src/db/open.ts';
import { Telemetry } from '../src/telemetry/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { testSpan } from './support/spans.ts';
import { TEST_BOOTSTRAP_TOKEN, startTestControlPlane } from './support/control-plane.ts';
import { connectTestProxy, sleep } from './support/stream.ts';

const span = () => testSpan();

// When the database falls behind, spans beyond the queue are dropped: counted, and said in the log
// (at most every 10 s), never queued without bound. The ones kept are written once it catches up.
describe('telemetry sheds spans visibly', () => {
  it('counts dropped spans and warns once per 10 s while dropping, and writes the kept ones once the database answers again', async () => {
    const postgres = DATABASES.find(([name]) => name === 'Postgres')?.[1];
    if (!postgres) throw new Error('no Postgres test database');
    const target = await postgres();
    const db = await openDatabase(target.options);
    // Another session holds the spans table: every insert waits, as behind a slow or overloaded database.
    const { connectionString, schema } = parseDatabaseUrl(target.options.databaseUrl ?? '');
    const blocker = new pg.Client({ connectionString });
    await blocker.connect();
    const telemetry = new Telemetry(db.prisma, { spanMaxAgeMs: 60_000, maxSpans: 1000, maxPendingSpans: 10, retentionEveryMs: 3_600_000 });
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}"."spans" IN ACCESS EXCLUSIVE MODE`);
      const warnings: string[] = [];
      telemetry.on('warning', (line: string) => warnings.push(line));
      const sent = Array.from({ length: 20 }, span);
      telemetry.ingestSpans(sent.slice(0, 15));
      telemetry.ingestSpans(sent.slice(15));
      expect(telemetry.spansReceived).toBe(20);
      expect(telemetry.spans.dropped).toBe(10);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/dropped 5 spans \(10 wait at most/);
      expect(warnings[0]).toContain('trellis_cp_spans_dropped_total');
      // The write is under way and waiting on the lock: nothing is in the table yet.
      const flushed = telemetry.spans.flush();
      await sleep(300);
      expect(telemetry.spans.written).toBe(0);

      await blocker.query('COMMIT');
      await flushed;
      const stored = await db.prisma.span.findMany({ select: { spanId: true } });
      expect(stored.map((r) => r.spanId).sort()).toEqual(sent.slice(0, 10).map((s) => s.spanId).sort());
      expect(telemetry.spans.dropped).toBe(10);
    } finally {
      await blocker.end();
      await telemetry.close();
      await db.close();
      await target.cleanup();
    }
  });
});

// Metric deltas are folded in as they arrive; a control plane that falls behind does so in its sockets,
// which shows as the reports' lag. Reports more than 10 s late are dropped: counted, and said in the log.
describe('telemetry sheds late metric reports visibly', () => {
  it('drops a report that arrives more than 10 s after it was sent, counts its deltas, logs it, and shows the lag', async () => {
    const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];
    const db = await createDatabase();
    const logs: string[] = [];
    const env = await startTestControlPlane({ ...db.options, log: (line) => logs.push(line) });
    const proxy = await connectTestProxy(env.cp.url, { service: 'web', instance: 'web-1' });
    try {
      await proxy.next();
      const scrape = async () => {
        const text = await (await fetch(`${env.cp.url}/metrics`, { headers: { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` } })).text();
        const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
        return { taken: read('trellis_cp_metric_deltas_total'), dropped: read('trellis_cp_metric_deltas_dropped_total'), text };
      };
      const edge = (ok: number): EdgeDelta => ({
        source: 'web.default',
        destination: 'api.default',
        route: 'default',
        side: 'outbound',
        codes: { '2xx': ok, '3xx': 0, '4xx': 0, '5xx': 0 },
        latency: {},
        retries: 0,
        rateLimited: 0,
        ejections: 0,
      });
      proxy.client.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [edge(5)] } });
      proxy.client.send({ type: 'metrics', report: { at: Date.now() - 30_000, intervalMs: 1000, edges: [edge(7), edge(8)] } });
      let after = await scrape();
      for (let i = 0; i < 50 && !(after.taken >= 1 && after.dropped >= 2); i++) {
        await sleep(100);
        after = await scrape();
      }
      expect(after).toMatchObject({ taken: 1, dropped: 2 });
      expect(logs.filter((l) => l.includes('metric reports arrive'))).toEqual([expect.stringMatching(/arrive 30\.\d s after they were sent; dropped 2 edge deltas older than 10 s \(trellis_cp_metric_deltas_dropped_total/)]);
      // Both reports are in the lag histogram: one within 1 s, one beyond 10 s.
      expect(after.text).toMatch(/^trellis_cp_metric_report_lag_seconds_bucket\{le="1"\} 1$/m);
      expect(after.text).toMatch(/^trellis_cp_metric_report_lag_seconds_count 2$/m);
      // The on-time report reaches the graph (once its second is over); the late one does not.
      const requests = async () => (await env.client.graph.get.query({ windowSeconds: 60 })).edges.find((e) => e.id === 'web.default->api.default')?.stats.requests;
      for (let i = 0; i < 30 && (await requests()) === undefined; i++) await sleep(100);
      expect(await requests()).toBe(5);
    } finally {
      await proxy.client.close();
      await env.cp.close();
      await db.cleanup();
    }
  });
});
