import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_MS, edgeDelta, histogramQuantile, latencyBucket, metricsReport, spanSchema } from '../src/index.ts';

/** A small seeded PRNG (mulberry32), so the "known distribution" is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal latencies (median `median` ms): the usual shape of service latency, with a long tail. */
function latencies(n: number, median: number, sigma: number, random: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = 1 - random();
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out.push(median * Math.exp(sigma * normal));
  }
  return out;
}

/** What one proxy reports: a sparse histogram, bucket index (as JSON keys are, text) -> count. */
function histogram(values: readonly number[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const v of values) {
    const b = String(latencyBucket(v));
    h[b] = (h[b] ?? 0) + 1;
  }
  return h;
}

/** What the control plane does with reports from many proxies: add the counts bucket by bucket. */
function merge(...histograms: Record<string, number>[]): Map<number, number> {
  const merged = new Map<number, number>();
  for (const h of histograms) for (const [b, n] of Object.entries(h)) merged.set(Number(b), (merged.get(Number(b)) ?? 0) + n);
  return merged;
}

/** The exact q-quantile of raw values (nearest rank). */
function trueQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

describe('LATENCY_BUCKETS_MS', () => {
  it('runs from 0.1 ms to about 2 minutes, strictly increasing', () => {
    expect(LATENCY_BUCKETS_MS[0]).toBe(0.1);
    const last = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? 0;
    expect(last).toBeGreaterThan(100_000);
    expect(last).toBeLessThan(130_000);
    for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) {
      expect(LATENCY_BUCKETS_MS[i]).toBeGreaterThan(LATENCY_BUCKETS_MS[i - 1] ?? Infinity);
    }
  });

  it('has buckets about 10 % wide', () => {
    for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) {
      const ratio = (LATENCY_BUCKETS_MS[i] ?? 0) / (LATENCY_BUCKETS_MS[i - 1] ?? 1);
      expect(ratio).toBeGreaterThan(1.09);
      expect(ratio).toBeLessThan(1.11);
    }
  });
});

describe('latencyBucket', () => {
  it('puts a value on a bound into that bound\'s bucket, and just above it into the next', () => {
    for (const i of [0, 1, 10, 50, 100, LATENCY_BUCKETS_MS.length - 2]) {
      const bound = LATENCY_BUCKETS_MS[i] ?? 0;
      expect(latencyBucket(bound)).toBe(i);
      expect(latencyBucket(bound * 1.0001)).toBe(i + 1);
    }
  });

  it('puts zero and tiny values in the first bucket, and everything beyond the last bound in the last', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.01)).toBe(0);
    expect(latencyBucket(10 * 60_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
  });

  it('finds a bucket whose bounds hold the value', () => {
    const random = seeded(7);
    for (let k = 0; k < 1000; k++) {
      const v = 0.1 + random() * 100_000;
      const b = latencyBucket(v);
      expect(LATENCY_BUCKETS_MS[b]).toBeGreaterThanOrEqual(v);
      expect(b === 0 ? 0 : (LATENCY_BUCKETS_MS[b - 1] ?? Infinity)).toBeLessThan(v);
    }
  });
});

describe('histogramQuantile', () => {
  it('is null for an empty histogram, and ignores buckets with no counts', () => {
    expect(histogramQuantile({}, 0.5)).toBeNull();
    expect(histogramQuantile(new Map(), 0.99)).toBeNull();
    expect(histogramQuantile({ 3: 0, 9: 0 }, 0.5)).toBeNull();
  });

  it('interpolates inside a bucket', () => {
    const b = latencyBucket(100);
    const lower = LATENCY_BUCKETS_MS[b - 1] ?? 0;
    const upper = LATENCY_BUCKETS_MS[b] ?? 0;
    expect(histogramQuantile({ [b]: 10 }, 0.5)).toBeCloseTo((lower + upper) / 2, 9);
    expect(histogramQuantile({ [b]: 10 }, 1)).toBeCloseTo(upper, 9);
    expect(histogramQuantile({ [b]: 10 }, 0.1)).toBeCloseTo(lower + (upper - lower) / 10, 9);
  });

  it('reads the first bucket from 0', () => {
    expect(histogramQuantile({ 0: 4 }, 0.5)).toBeCloseTo(0.05, 9);
  });

  it('picks the bucket holding the rank', () => {
    // 90 requests around 10 ms, 10 around 1 s: p50 is ~10 ms, p95 ~1 s.
    const fast = latencyBucket(10);
    const slow = latencyBucket(1000);
    const counts = { [fast]: 90, [slow]: 10 };
    expect(latencyBucket(histogramQuantile(counts, 0.5) ?? 0)).toBe(fast);
    expect(latencyBucket(histogramQuantile(counts, 0.9) ?? 0)).toBe(fast);
    expect(latencyBucket(histogramQuantile(counts, 0.95) ?? 0)).toBe(slow);
  });

  it('gives the same answer for a Map and for JSON-shaped records, whatever the key order', () => {
    const h = histogram(latencies(2000, 40, 1, seeded(3)));
    const reversed = Object.fromEntries(Object.entries(h).reverse());
    const asMap = new Map(Object.entries(h).map(([k, v]) => [Number(k), v]));
    for (const q of [0.5, 0.9, 0.99]) {
      expect(histogramQuantile(reversed, q)).toBe(histogramQuantile(h, q));
      expect(histogramQuantile(asMap, q)).toBe(histogramQuantile(h, q));
    }
  });

  it('grows with q', () => {
    const h = histogram(latencies(5000, 40, 1, seeded(5)));
    let previous = -Infinity;
    for (const q of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1]) {
      const v = histogramQuantile(h, q) ?? Number.NaN;
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
  });

  it('reads p50 and p99 from histograms merged across proxies within one bucket of the truth', () => {
    const random = seeded(42);
    // Three proxies with different shares of the traffic and somewhat different latency.
    const a = latencies(20_000, 25, 0.8, random);
    const b = latencies(7_000, 40, 1.1, random);
    const c = latencies(3_000, 120, 0.5, random);
    const merged = merge(histogram(a), histogram(b), histogram(c));
    const all = [...a, ...b, ...c];
    for (const q of [0.5, 0.9, 0.99]) {
      const truth = trueQuantile(all, q);
      const estimate = histogramQuantile(merged, q);
      expect(estimate).not.toBeNull();
      expect(Math.abs(latencyBucket(estimate ?? 0) - latencyBucket(truth)), `p${q * 100}: ${estimate} vs ${truth}`).toBeLessThanOrEqual(1);
      expect(Math.abs((estimate ?? 0) - truth) / truth).toBeLessThan(0.11);
    }
  });

  it('reads a uniform 1..1000 ms distribution to within a bucket', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const h = histogram(values);
    expect(histogramQuantile(h, 0.5)).toBeGreaterThan(500 / 1.1);
    expect(histogramQuantile(h, 0.5)).toBeLessThan(500 * 1.1);
    expect(histogramQuantile(h, 0.99)).toBeGreaterThan(990 / 1.1);
    expect(histogramQuantile(h, 0.99)).toBeLessThan(990 * 1.1);
  });
});

describe('telemetry messages', () => {
  const edge = {
    source: 'frontend.default',
    destination: 'reviews.default',
    route: 'by-product',
    version: 'v2',
    side: 'outbound',
    codes: { '2xx': 95, '3xx': 0, '4xx': 3, '5xx': 2 },
    latency: { '40': 60, '41': 40 },
    retries: 2,
    rateLimited: 0,
    ejections: 0,
  };

  it('accepts a metrics report with an edge', () => {
    const r = metricsReport.parse({ at: 1_700_000_000_000, intervalMs: 1000, edges: [edge] });
    expect(r.edges[0]?.codes['2xx']).toBe(95);
  });

  it('refuses an edge without a side or with a partial status breakdown', () => {
    const { side: _, ...noSide } = edge;
    expect(edgeDelta.safeParse(noSide).error?.issues[0]?.path).toEqual(['side']);
    expect(edgeDelta.safeParse({ ...edge, codes: { '2xx': 1 } }).error?.issues[0]?.path).toEqual(['codes', '3xx']);
  });

  it('refuses a report over a zero-length interval', () => {
    expect(metricsReport.safeParse({ at: 1, intervalMs: 0, edges: [] }).error?.issues[0]?.path).toEqual(['intervalMs']);
  });

  const span = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    kind: 'client',
    service: 'frontend',
    name: 'GET reviews',
    startMs: 1_700_000_000_000,
    durationMs: 12.5,
    status: 200,
    error: false,
  };

  it('accepts a span, filling in empty attributes', () => {
    expect(spanSchema.parse(span).attributes).toEqual({});
    expect(spanSchema.parse({ ...span, parentSpanId: 'a3ce929d0e0e4736', attributes: { retry: 1, zone: 'a', cached: true } }).attributes).toEqual({
      retry: 1,
      zone: 'a',
      cached: true,
    });
  });

  it('refuses W3C ids of the wrong length or case, and negative durations', () => {
    expect(spanSchema.safeParse({ ...span, traceId: '4BF92F3577B34DA6A3CE929D0E0E4736' }).error?.issues[0]?.path).toEqual(['traceId']);
    expect(spanSchema.safeParse({ ...span, spanId: '00f067aa' }).error?.issues[0]?.path).toEqual(['spanId']);
    expect(spanSchema.safeParse({ ...span, durationMs: -1 }).error?.issues[0]?.path).toEqual(['durationMs']);
    expect(spanSchema.safeParse({ ...span, attributes: { nested: { a: 1 } } }).error?.issues[0]?.path).toEqual(['attributes', 'nested']);
  });
});
