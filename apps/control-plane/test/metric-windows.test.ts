import { describe, expect, it } from 'vitest';
import { latencyBucket, type EdgeDelta } from '@trellis/shared';
import { MetricWindows, SECOND_SLOTS } from '../src/telemetry/windows.ts';

function delta(source: string, destination: string, ok: number, failed: number, latencyMs = 10, extra: Partial<EdgeDelta> = {}): EdgeDelta {
  return {
    source,
    destination,
    route: 'default',
    side: 'outbound',
    codes: { '2xx': ok, '3xx': 0, '4xx': 0, '5xx': failed },
    latency: { [latencyBucket(latencyMs)]: ok + failed },
    retries: 0,
    rateLimited: 0,
    ejections: 0,
    ...extra,
  };
}

describe('metric windows', () => {
  it('answers rps, success rate and percentiles over a window from per-second deltas', () => {
    let now = 1_000_000_000;
    const w = new MetricWindows(100, () => now);
    for (let s = 0; s < 10; s++) {
      w.add([delta('a', 'b', 45, 5, 20), delta('a', 'b', 0, 0, 0, { latency: { [latencyBucket(200)]: 1 }, codes: { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 } })], now);
      now += 1000;
    }
    const stats = w.stats(10_000, (k) => k.source === 'a' && k.destination === 'b');
    expect(stats.requests).toBe(510);
    expect(stats.rps).toBeCloseTo(51, 5);
    expect(stats.successRate).toBeCloseTo(460 / 510, 5);
    expect(stats.p50Ms).toBeGreaterThan(18);
    expect(stats.p50Ms).toBeLessThan(22);
    expect(stats.p99Ms).toBeGreaterThan(150);
  });

  it('counts gRPC calls by grpc-status over a window, and says nothing of gRPC for an edge without it', () => {
    let now = 2_000_000_000;
    const w = new MetricWindows(100, () => now);
    for (let s = 0; s < 5; s++) {
      w.add([delta('web', 'greeter', 10, 0, 10, { grpc: { '0': 8, '14': 2 } }), delta('web', 'plain', 10, 0)], now);
      now += 1000;
    }
    expect(w.stats(10_000, (k) => k.destination === 'greeter').grpc).toEqual({ '0': 40, '14': 10 });
    expect(w.stats(10_000, (k) => k.destination === 'plain').grpc).toBeUndefined();
  });

  it('keeps a fixed number of slots however long traffic runs, and a bounded number of series', () => {
    let now = 0;
    const w = new MetricWindows(50, () => now);
    // Three hours of traffic, one report a second, on 200 different edges over time.
    for (let s = 0; s < 3 * 3600; s++) {
      w.add([delta(`src-${s % 200}`, 'dst', 1, 0)], now);
      now += 1000;
    }
    expect(w.size).toBe(50);
    // The second-resolution ring only ever answers for the last 15 minutes.
    const { points, resolutionSeconds } = w.points(SECOND_SLOTS * 1000, () => true);
    expect(resolutionSeconds).toBe(3);
    expect(points.length).toBeLessThanOrEqual(300);
    const total = points.reduce((sum, p) => sum + p.requests, 0);
    // Only series still kept count; 50 of 200 round-robin sources each got 1 request every 200 s.
    expect(total).toBeLessThanOrEqual(SECOND_SLOTS);
    // A day-long window reads the minute ring.
    expect(w.points(24 * 3600_000, () => true).resolutionSeconds).toBeGreaterThanOrEqual(60);
  });

  it('splits an edge by the version that served it', () => {
    let now = 5_000_000;
    const w = new MetricWindows(100, () => now);
    for (let s = 0; s < 5; s++) {
      w.add([delta('f', 'r', 9, 0, 5, { version: 'v1' }), delta('f', 'r', 1, 0, 5, { version: 'v2' })], now);
      now += 1000;
    }
    const byVersion = w.statsBy(5000, (k) => k.version);
    expect(byVersion.get('v1')?.requests).toBe(45);
    expect(byVersion.get('v2')?.requests).toBe(5);
  });
});
