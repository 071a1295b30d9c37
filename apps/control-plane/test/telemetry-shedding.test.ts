import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Span } from '@trellis/shared';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { Telemetry } from '../src/telemetry/index.ts';

const span = (): Span => ({
  traceId: randomBytes(16).toString('hex'),
  spanId: randomBytes(8).toString('hex'),
  kind: 'server',
  service: 'catalog',
  name: 'GET /products',
  startMs: Date.now(),
  durationMs: 5,
  status: 200,
  error: false,
  attributes: {},
});

// When the database falls behind, spans beyond the queue are dropped: counted, and said in the log
// (at most every 10 s), never queued without bound.
describe('telemetry sheds spans visibly', () => {
  it('counts dropped spans and warns once per 10 s while dropping', async () => {
    // A database that never answers: nothing leaves the queue.
    const stuck = { $executeRawUnsafe: () => new Promise(() => {}) } as unknown as PrismaClient;
    const telemetry = new Telemetry(stuck, { spanMaxAgeMs: 60_000, maxSpans: 1000, maxPendingSpans: 10, retentionEveryMs: 3_600_000 });
    const warnings: string[] = [];
    telemetry.on('warning', (line: string) => warnings.push(line));
    telemetry.ingestSpans(Array.from({ length: 15 }, span));
    telemetry.ingestSpans(Array.from({ length: 5 }, span));
    expect(telemetry.spansReceived).toBe(20);
    expect(telemetry.spans.dropped).toBe(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dropped 5 spans \(10 wait at most/);
    expect(warnings[0]).toContain('trellis_cp_spans_dropped_total');
  });
});
