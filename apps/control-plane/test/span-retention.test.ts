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
});
