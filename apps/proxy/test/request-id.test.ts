import { expect, test } from 'vitest';
import { newRequestId } from '../src/http/trace-context.ts';

// x-request-id is made by the proxy for every request that comes without one (filters/request-context.ts).

test('request ids are random version-4 UUIDs that do not repeat', () => {
  const ids = Array.from({ length: 10_000 }, newRequestId);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(ids.length);
  // Every hex digit outside the version and variant positions takes all 16 values over 10,000 ids.
  const digits = new Set(ids.map((id) => id[0]));
  expect(digits.size).toBe(16);
});
