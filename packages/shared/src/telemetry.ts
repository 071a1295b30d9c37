import { z } from 'zod';

/**
 * Latency histogram bucket upper bounds in milliseconds, shared by every proxy and the control plane so
 * histograms merge by adding counts. Roughly 10 % wide, from 0.1 ms to about 2 minutes: percentiles
 * read from merged histograms are within one bucket (about 10 %) of the true value.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let b = 0.1; b < 120_000; b *= 1.1) bounds.push(Math.round(b * 1000) / 1000);
  return bounds;
})();

/** Index of the first bucket whose upper bound holds `ms` (the last bucket takes everything beyond). */
export function latencyBucket(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BUCKETS_MS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BUCKETS_MS[mid] ?? Infinity) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The value below which `q` (0..1) of the observations fall, from sparse bucket counts. */
export function histogramQuantile(counts: ReadonlyMap<number, number> | Record<number, number>, q: number): number | null {
  const entries = (counts instanceof Map ? [...counts.entries()] : Object.entries(counts).map(([k, v]) => [Number(k), v] as const))
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [bucket, n] of entries) {
    if (seen + n >= rank) {
      // Interpolate inside the bucket, between its lower and upper bound.
      const upper = LATENCY_BUCKETS_MS[bucket] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? 0;
      const lower = bucket === 0 ? 0 : (LATENCY_BUCKETS_MS[bucket - 1] ?? 0);
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[entries[entries.length - 1]?.[0] ?? 0] ?? null;
}

export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/**
 * A count in a report: a whole number, never negative, and bounded (a proxy cannot serve more than this in
 * one interval), so a forged or broken report cannot push a figure to 1e15 or below zero.
 */
const count = z.number().int().min(0).max(1e9);
const name = z.string().max(253);

/** Requests on one edge (source service -> destination service, route) over one reporting interval. */
export const edgeDelta = z.object({
  /** "name.namespace"; "external" for callers outside the mesh. */
  source: name,
  destination: name,
  route: z.string().max(256),
  /** The destination subset that served them (its version label), when known. */
  version: z.string().max(63).optional(),
  /** outbound: counted by the caller's proxy; inbound: by the destination's proxy (callers outside the mesh). */
  side: z.enum(['outbound', 'inbound']),
  /** Requests by status class; `other` counts requests that got no HTTP response at all. */
  codes: z.object({ '2xx': count, '3xx': count, '4xx': count, '5xx': count }),
  /** Sparse latency histogram: bucket index (LATENCY_BUCKETS_MS) -> count. */
  latency: z.record(z.string().regex(/^\d{1,3}$/), count),
  retries: count,
  rateLimited: count,
  ejections: count,
  /** Requests sent over mutual TLS. */
  mtls: count.optional(),
  /** Requests sent in the clear. Answers a proxy made itself (no endpoint reached) are in neither count. */
  plain: count.optional(),
  /** Tries sent to an endpoint or the app, retries included, and those that failed (5xx or no answer). */
  attempts: count.optional(),
  failedAttempts: count.optional(),
  /** gRPC calls by grpc-status code ("0" OK, "14" UNAVAILABLE, ...), counted when each call ends. */
  grpc: z.record(z.string().regex(/^\d{1,2}$/), count).optional(),
});

export const metricsReport = z.object({
  /** End of the interval, ms since the epoch (the proxy's clock). */
  at: z.number(),
  intervalMs: z.number().positive().max(3_600_000),
  edges: z.array(edgeDelta).max(10_000),
});

const attributeValue = z.union([z.string().max(2048), z.number(), z.boolean()]);

export const spanSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
  /** server: a request a proxy received; client: one attempt a proxy sent upstream. */
  kind: z.enum(['server', 'client']),
  /** The reporting proxy's service; the control plane replaces it with the proxy's authenticated one. */
  service: name,
  name: z.string().max(1024),
  startMs: z.number(),
  durationMs: z.number().min(0).max(86_400_000),
  status: z.number().int().min(0).max(999),
  error: z.boolean(),
  attributes: z
    .record(z.string().max(128), attributeValue)
    .refine((a) => Object.keys(a).length <= 64, { error: 'at most 64 attributes' })
    .default({}),
});

export type EdgeDelta = z.infer<typeof edgeDelta>;
export type MetricsReport = z.infer<typeof metricsReport>;
export type Span = z.infer<typeof spanSchema>;
