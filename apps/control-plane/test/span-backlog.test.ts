import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../src/db/open.ts';
import { SpanStore } from '../src/telemetry/span-store.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { testSpan } from './support/spans.ts';

// PGlite (the first database) runs queries on the control plane's own thread.
const [[, createPGlite]] = DATABASES as [[string, () => Promise<TestDatabase>]];

const span = () => testSpan({ source: 'frontend' });

// Regression: a backlog of spans was written in one stretch without a turn of the event loop (up to 9 s
// at 16,000 spans/s), while metric reports, ACKs and heartbeats waited unread in the sockets.
describe('a backlog of spans', () => {
  let db: TestDatabase;
  let opened: OpenedDatabase;
  beforeAll(async () => {
    db = await createPGlite();
    opened = await openDatabase(db.options);
  });
  afterAll(async () => {
    await opened?.close();
    await db?.cleanup();
  });

  it('is written batch by batch, with the event loop turning between batches', async () => {
    const store = new SpanStore(opened.prisma, { maxAgeMs: 60_000, maxSpans: 100_000, flushMs: 3_600_000 });
    store.add(Array.from({ length: 4000 }, span)); // 8 batches of 500
    let turns = 0;
    let writing = true;
    const tick = () => {
      turns++;
      if (writing) setImmediate(tick);
    };
    setImmediate(tick);
    await store.flush();
    writing = false;
    expect(store.written).toBe(4000);
    expect(turns).toBeGreaterThanOrEqual(7);
    await store.close();
  });
});
