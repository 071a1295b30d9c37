import { randomBytes } from 'node:crypto';
import type { Span } from '@trellis/shared';

/** A fresh server span of catalog's (new trace and span ids each time), as a proxy would report it. */
export const testSpan = (attributes: Record<string, string> = {}): Span => ({
  traceId: randomBytes(16).toString('hex'),
  spanId: randomBytes(8).toString('hex'),
  kind: 'server',
  service: 'catalog',
  name: 'GET /products',
  startMs: Date.now(),
  durationMs: 5,
  status: 200,
  error: false,
  attributes,
});
