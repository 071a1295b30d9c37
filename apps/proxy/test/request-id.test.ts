import { expect, test } from 'vitest';
import { newRequestId, newSpanId, newTraceId } from '../src/http/trace-context.ts';

// x-request-id is made by the proxy for every request that comes without one (filters/request-context.ts).

test('request ids are random version-4 UUIDs that do not repeat', () => {
  const ids = Array.from({ length: 10_000 }, newRequestId);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(ids.length);
  // Every hex digit outside the version and variant positions takes all 16 values over 10,000 ids.
  const digits = new Set(ids.map((id) => id[0]));
  expect(digits.size).toBe(16);
});

test('trace and span ids are random hex of their W3C lengths that do not repeat, across refills of the pool', () => {
  // 5,000 of each: 240,000 hex digits, thousands of decoded chunks and several refills of the random pool.
  const traces = Array.from({ length: 5_000 }, newTraceId);
  const spans = Array.from({ length: 5_000 }, newSpanId);
  for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/);
  for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/);
  expect(new Set(traces).size).toBe(traces.length);
  expect(new Set(spans).size).toBe(spans.length);
  expect(new Set(spans.map((id) => id[15])).size).toBe(16);
});
