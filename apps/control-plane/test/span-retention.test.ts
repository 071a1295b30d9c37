import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Span } from '@trellis/shared';
import { openDatabase, type OpenedDatabase } from '../src/db/open.ts';
import { SpanStore } from '../src/telemetry/span-store.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';

const [, [, createPostgres]] = DATABASES as [unknown, [string, () => Promise<TestDatabase>]];

function span(startMs: number, over: Partial<Span> = {}): Span {
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    kind: 'server',
    service: 'catalog',
    name: 'GET /products',
    startMs,
    durationMs: 5,
    status: 200,
    error: false,
    attributes: { source: 'frontend' },
    ...over,
  };
}

describe('span retention', () => {
  let db: TestDatabase;
  let opened: OpenedDatabase;
  beforeAll(async () => {
    db = await createPostgres();
    opened = await openDatabase(db.options);
  });
  afterAll(async () => {
    await opened?.close();
    await db?.cleanup();
  });

  it('removes spans past the age limit, then the oldest beyond the count limit', async () => {
    const store = new SpanStore(opened.prisma, { maxAgeMs: 60_000, maxSpans: 100 });
    const now = Date.now();
    store.add(Array.from({ length: 30 }, (_, i) => span(now - 120_000 - i))); // too old
    store.add(Array.from({ length: 150 }, (_, i) => span(now - 150 + i))); // recent, 50 too many
    await store.flush();
    expect(await opened.prisma.span.count()).toBe(180);
    const removed = await store.enforceRetention(now);
    expect(removed).toBe(80);
    const left = await opened.prisma.span.findMany({ orderBy: { startTime: 'asc' } });
    expect(left).toHaveLength(100);
    // The newest 100 remain.
    expect(left[0]?.startTime.getTime()).toBe(now - 150 + 50);
    await store.close();
  });

  it('stores spans exactly as sent, and a span with a broken string does not cost its batch', async () => {
    await opened.prisma.span.deleteMany();
    const store = new SpanStore(opened.prisma, { maxAgeMs: 3600_000, maxSpans: 10_000 });
    const now = Date.now();
    const exact = span(now - 1234, { name: 'GET /caf\u00e9 "quoted"', attributes: { source: 'frontend', 'http.path': '/a?b=1&c="2"', 'retry.attempt': 2 } });
    // A lone UTF-16 surrogate, as a buggy client could send in a path: jsonb refuses it as an escape.
    const broken = span(now, { attributes: { source: 'frontend', 'http.path': '/bad\ud800' } });
    const batch = [exact, broken, ...Array.from({ length: 20 }, (_, i) => span(now - i))];
    store.add(batch);
    await store.flush();
    expect(store.dropped).toBe(0);
    expect(await opened.prisma.span.count()).toBe(batch.length);
    const got = await store.trace(exact.traceId);
    expect(got[0]).toMatchObject({ name: exact.name, startMs: exact.startMs, durationMs: 5, attributes: exact.attributes });
    const fixed = await store.trace(broken.traceId);
    expect(fixed[0]?.attributes['http.path']).toBe('/bad\ufffd');
    await store.close();
  });

  it('finds traces by service, edge, status and duration', async () => {
    await opened.prisma.span.deleteMany();
    const store = new SpanStore(opened.prisma, { maxAgeMs: 3600_000, maxSpans: 10_000 });
    const now = Date.now();
    const slow = span(now, { durationMs: 900, service: 'payments', status: 503, error: true });
    const client = span(now, { kind: 'client', service: 'cart', traceId: slow.traceId, attributes: { destination: 'payments' } });
    store.add([slow, client, span(now - 10)]);
    const byEdge = await store.search({ source: 'cart', destination: 'payments' });
    expect(byEdge.map((t) => t.traceId)).toEqual([slow.traceId]);
    expect(byEdge[0]).toMatchObject({ spanCount: 2, error: true, services: ['cart', 'payments'] });
    expect((await store.search({ status: 'error' })).map((t) => t.traceId)).toEqual([slow.traceId]);
    expect((await store.search({ minDurationMs: 500 })).map((t) => t.traceId)).toEqual([slow.traceId]);
    expect(await store.search({ service: 'catalog' })).toHaveLength(1);
    await store.close();
  });
  it('applies every filter to the whole trace: a slow trace whose payments call failed fast is found', async () => {
    await opened.prisma.span.deleteMany();
    const store = new SpanStore(opened.prisma, { maxAgeMs: 3600_000, maxSpans: 10_000 });
    const now = Date.now();
    // frontend 900 ms (ok) -> payments 20 ms (503): no one span is both an error and slow.
    const root = span(now - 5000, { service: 'frontend', durationMs: 900 });
    const failed = span(now - 4990, { traceId: root.traceId, parentSpanId: root.spanId, service: 'payments', durationMs: 20, status: 503, error: true });
    // Slow without an error, an error that is fast, and a slow error elsewhere.
    const slowOk = span(now - 4000, { service: 'payments', durationMs: 1200 });
    const fastError = span(now - 3000, { service: 'payments', durationMs: 10, status: 503, error: true });
    const otherRoot = span(now - 2000, { service: 'frontend', durationMs: 1500, status: 500, error: true });
    store.add([root, failed, slowOk, fastError, otherRoot]);
    const ids = async (q: Parameters<SpanStore['search']>[0]) => (await store.search(q)).map((t) => t.traceId);
    expect(await ids({ service: 'payments', status: 'error', minDurationMs: 800 })).toEqual([root.traceId]);
    expect(await ids({ service: 'payments', minDurationMs: 800 })).toEqual([slowOk.traceId, root.traceId]);
    expect(await ids({ service: 'payments', status: 'error' })).toEqual([fastError.traceId, root.traceId]);
    expect(await ids({ status: 503, minDurationMs: 800 })).toEqual([root.traceId]);
    expect(await ids({ status: 'ok', service: 'payments' })).toEqual([slowOk.traceId]);
    // The trace lasts from its first span's start to its last span's end.
    const [found] = await store.search({ service: 'payments', status: 'error', minDurationMs: 800 });
    expect(found).toMatchObject({ rootService: 'frontend', durationMs: 900, error: true, rootReported: true });
    await store.close();
  });

  it('a trace whose first span has not been reported yet says so instead of naming another span its root', async () => {
    await opened.prisma.span.deleteMany();
    const store = new SpanStore(opened.prisma, { maxAgeMs: 3600_000, maxSpans: 10_000 });
    const child = span(Date.now(), { parentSpanId: 'aaaaaaaaaaaaaaaa', service: 'catalog' });
    store.add([child]);
    const [found] = await store.search({});
    expect(found).toMatchObject({ traceId: child.traceId, rootReported: false });
    store.add([span(Date.now() - 50, { traceId: child.traceId, spanId: 'aaaaaaaaaaaaaaaa', service: 'loadgen', kind: 'client' })]);
    const [again] = await store.search({});
    expect(again).toMatchObject({ rootReported: true, rootService: 'loadgen' });
    await store.close();
  });

  it('finds traces by time range: any span starting from fromMs to toMs, both ends included', async () => {
    await opened.prisma.span.deleteMany();
    const store = new SpanStore(opened.prisma, { maxAgeMs: 3600_000, maxSpans: 10_000 });
    const now = Date.now();
    const old = span(now - 60_000);
    const middle = span(now - 30_000);
    const cart = span(now - 25_000, { service: 'cart' });
    const recent = span(now - 1_000);
    // A trace that started long ago and has one span inside the range is found, whole.
    const long = span(now - 50_000, { service: 'frontend' });
    const longChild = span(now - 22_000, { traceId: long.traceId, parentSpanId: long.spanId });
    store.add([old, middle, cart, recent, long, longChild]);
    const ids = async (q: Parameters<SpanStore['search']>[0]) => (await store.search(q)).map((t) => t.traceId);
    expect(await ids({ fromMs: now - 40_000, toMs: now - 20_000 })).toEqual([long.traceId, cart.traceId, middle.traceId]);
    expect(await ids({ fromMs: now - 40_000 })).toEqual([recent.traceId, long.traceId, cart.traceId, middle.traceId]);
    expect(await ids({ toMs: now - 40_000 })).toEqual([long.traceId, old.traceId]);
    // Both ends are inclusive, to the millisecond.
    expect(await ids({ fromMs: now - 30_000, toMs: now - 30_000 })).toEqual([middle.traceId]);
    expect(await ids({ fromMs: now - 30_000 + 1, toMs: now - 25_000 - 1 })).toEqual([]);
    // With the other filters.
    expect(await ids({ service: 'catalog', fromMs: now - 40_000, toMs: now - 20_000 })).toEqual([long.traceId, middle.traceId]);
    expect(await ids({ service: 'cart', fromMs: now - 10_000 })).toEqual([]);
    const [found] = await store.search({ fromMs: now - 23_000, toMs: now - 21_000 });
    expect(found).toMatchObject({ traceId: long.traceId, spanCount: 2, rootService: 'frontend', startMs: now - 50_000 });
    await store.close();
  });
});
