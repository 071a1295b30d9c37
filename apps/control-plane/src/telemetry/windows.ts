import { histogramQuantile, type EdgeDelta, type GraphStats } from '@trellis/shared';

/** What one time slot of one series holds. */
interface Bucket {
  codes: [number, number, number, number]; // 2xx, 3xx, 4xx, 5xx
  latency: Map<number, number>; // latency bucket index -> count
  retries: number;
  rateLimited: number;
  ejections: number;
  /** Requests that went over mutual TLS. */
  mtls: number;
  plain: number;
  attempts: number;
  failedAttempts: number;
  /** gRPC calls by grpc-status; made only for series that carry gRPC. */
  grpc: Map<number, number> | undefined;
}

/** A fixed ring of time slots: memory is slots x (one bucket per active slot), whatever the traffic. */
class Ring {
  private readonly buckets: (Bucket | undefined)[];
  private readonly stamps: Float64Array;

  constructor(
    readonly slots: number,
    readonly slotMs: number,
  ) {
    this.buckets = new Array<Bucket | undefined>(slots);
    this.stamps = new Float64Array(slots).fill(-1);
  }

  bucketAt(t: number): Bucket {
    const slot = Math.floor(t / this.slotMs);
    const i = slot % this.slots;
    let b = this.buckets[i];
    if (!b || this.stamps[i] !== slot) {
      b = { codes: [0, 0, 0, 0], latency: new Map(), retries: 0, rateLimited: 0, ejections: 0, mtls: 0, plain: 0, attempts: 0, failedAttempts: 0, grpc: undefined };
      this.buckets[i] = b;
      this.stamps[i] = slot;
    }
    return b;
  }

  /** The bucket of slot number `slot`, if it still holds that slot's data. */
  get(slot: number): Bucket | undefined {
    const i = slot % this.slots;
    return this.stamps[i] === slot ? this.buckets[i] : undefined;
  }
}

export interface SeriesKey {
  source: string;
  destination: string;
  route: string;
  /** The destination's version label that served the requests ("" when unknown). */
  version: string;
}

interface Series extends SeriesKey {
  seconds: Ring;
  minutes: Ring;
  lastUpdate: number;
}

/** Traffic figures over a window; the same shape the service graph carries (@trellis/shared). */
export type Stats = GraphStats;

export interface SeriesPoint extends Stats {
  /** Start of the point's interval, ms since the epoch. */
  t: number;
}

export const SECOND_SLOTS = 15 * 60; // 1 s resolution for the last 15 minutes
export const MINUTE_SLOTS = 24 * 60; // 1 min resolution for the last 24 hours

/**
 * Rolling metric windows for every (source, destination, route, version) the proxies report, at 1 s
 * for 15 minutes and 1 min for 24 hours. Memory is bounded: each series is two fixed rings, and at
 * most `maxSeries` series are kept (the least recently updated go first).
 */
export class MetricWindows {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly maxSeries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.series.size;
  }

  /** Adds one proxy report's edge deltas at the time they arrive. */
  add(edges: readonly EdgeDelta[], at = this.now()): void {
    for (const e of edges) {
      const key = `${e.source}|${e.destination}|${e.route}|${e.version ?? ''}`;
      let s = this.series.get(key);
      if (!s) {
        if (this.series.size >= this.maxSeries) this.evictOldest();
        s = {
          source: e.source,
          destination: e.destination,
          route: e.route,
          version: e.version ?? '',
          seconds: new Ring(SECOND_SLOTS, 1000),
          minutes: new Ring(MINUTE_SLOTS, 60_000),
          lastUpdate: at,
        };
        this.series.set(key, s);
      } else {
        // Map order is insertion order: move to the end so eviction finds the stalest first.
        this.series.delete(key);
        this.series.set(key, s);
      }
      s.lastUpdate = at;
      for (const b of [s.seconds.bucketAt(at), s.minutes.bucketAt(at)]) {
        b.codes[0] += e.codes['2xx'];
        b.codes[1] += e.codes['3xx'];
        b.codes[2] += e.codes['4xx'];
        b.codes[3] += e.codes['5xx'];
        for (const [idx, n] of Object.entries(e.latency)) b.latency.set(Number(idx), (b.latency.get(Number(idx)) ?? 0) + n);
        b.retries += e.retries;
        b.rateLimited += e.rateLimited;
        b.ejections += e.ejections;
        b.mtls += e.mtls ?? 0;
        b.plain += e.plain ?? 0;
        b.attempts += e.attempts ?? 0;
        b.failedAttempts += e.failedAttempts ?? 0;
        if (e.grpc) {
          const grpc = (b.grpc ??= new Map());
          for (const [code, n] of Object.entries(e.grpc)) grpc.set(Number(code), (grpc.get(Number(code)) ?? 0) + n);
        }
      }
    }
  }

  /** The series keys seen in the last `windowMs`, optionally filtered. */
  keys(windowMs: number, filter: (k: SeriesKey) => boolean = () => true): SeriesKey[] {
    const since = this.now() - windowMs;
    return [...this.series.values()]
      .filter((s) => s.lastUpdate >= since && filter(s))
      .map(({ source, destination, route, version }) => ({ source, destination, route, version }));
  }

  /**
   * Totals over the last `windowMs` (whole seconds that have ended, so a half-filled current second
   * does not drag rates down) for the series `filter` accepts.
   */
  stats(windowMs: number, filter: (k: SeriesKey) => boolean): Stats {
    const seconds = Math.max(1, Math.round(windowMs / 1000));
    const last = Math.floor(this.now() / 1000) - 1;
    const acc = emptyAcc();
    for (const s of this.series.values()) {
      if (!filter(s)) continue;
      for (let slot = last - seconds + 1; slot <= last; slot++) accumulate(acc, s.seconds.get(slot));
    }
    return finish(acc, seconds);
  }

  /** Like stats(), for many groups in one pass: `groupOf` names a series' group (undefined skips it). */
  statsBy(windowMs: number, groupOf: (k: SeriesKey) => string | undefined): Map<string, Stats> {
    const seconds = Math.max(1, Math.round(windowMs / 1000));
    const last = Math.floor(this.now() / 1000) - 1;
    const since = this.now() - windowMs - 1000;
    const accs = new Map<string, Acc>();
    for (const s of this.series.values()) {
      if (s.lastUpdate < since) continue;
      const group = groupOf(s);
      if (group === undefined) continue;
      let acc = accs.get(group);
      if (!acc) accs.set(group, (acc = emptyAcc()));
      for (let slot = last - seconds + 1; slot <= last; slot++) accumulate(acc, s.seconds.get(slot));
    }
    return new Map([...accs].map(([g, acc]) => [g, finish(acc, seconds)]));
  }

  /**
   * Points over the last `windowMs`, at 1 s (windows up to 15 minutes) or 1 min resolution, merged
   * into at most `maxPoints` points.
   */
  points(windowMs: number, filter: (k: SeriesKey) => boolean, maxPoints = 300): { resolutionSeconds: number; points: SeriesPoint[] } {
    const useSeconds = windowMs <= SECOND_SLOTS * 1000;
    const slotMs = useSeconds ? 1000 : 60_000;
    const slots = Math.min(Math.ceil(windowMs / slotMs), useSeconds ? SECOND_SLOTS : MINUTE_SLOTS);
    const step = Math.max(1, Math.ceil(slots / maxPoints));
    const last = Math.floor(this.now() / slotMs) - 1;
    const first = last - slots + 1;
    const matching = [...this.series.values()].filter(filter);
    const points: SeriesPoint[] = [];
    for (let start = first; start <= last; start += step) {
      const acc = emptyAcc();
      for (let slot = start; slot < start + step && slot <= last; slot++) {
        for (const s of matching) accumulate(acc, (useSeconds ? s.seconds : s.minutes).get(slot));
      }
      points.push({ t: start * slotMs, ...finish(acc, (step * slotMs) / 1000) });
    }
    return { resolutionSeconds: (step * slotMs) / 1000, points };
  }

  private evictOldest(): void {
    const oldest = this.series.keys().next();
    if (!oldest.done) this.series.delete(oldest.value);
  }
}

interface Acc {
  codes: [number, number, number, number];
  latency: Map<number, number>;
  retries: number;
  rateLimited: number;
  ejections: number;
  mtls: number;
  plain: number;
  attempts: number;
  failedAttempts: number;
  grpc: Map<number, number> | undefined;
}

const emptyAcc = (): Acc => ({ codes: [0, 0, 0, 0], latency: new Map(), retries: 0, rateLimited: 0, ejections: 0, mtls: 0, plain: 0, attempts: 0, failedAttempts: 0, grpc: undefined });

function accumulate(acc: Acc, b: Bucket | undefined): void {
  if (!b) return;
  for (let i = 0; i < 4; i++) acc.codes[i] = (acc.codes[i] ?? 0) + (b.codes[i] ?? 0);
  for (const [idx, n] of b.latency) acc.latency.set(idx, (acc.latency.get(idx) ?? 0) + n);
  acc.retries += b.retries;
  acc.rateLimited += b.rateLimited;
  acc.ejections += b.ejections;
  acc.mtls += b.mtls;
  acc.plain += b.plain;
  acc.attempts += b.attempts;
  acc.failedAttempts += b.failedAttempts;
  if (b.grpc) {
    const grpc = (acc.grpc ??= new Map());
    for (const [code, n] of b.grpc) grpc.set(code, (grpc.get(code) ?? 0) + n);
  }
}

function finish(acc: Acc, seconds: number): Stats {
  const [c2, c3, c4, c5] = acc.codes;
  const requests = c2 + c3 + c4 + c5;
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
  return {
    requests,
    rps: requests / seconds,
    successRate: requests ? (requests - c5) / requests : null,
    attempts: acc.attempts,
    actualSuccessRate: acc.attempts ? (acc.attempts - acc.failedAttempts) / acc.attempts : null,
    p50Ms: round(histogramQuantile(acc.latency, 0.5)),
    p95Ms: round(histogramQuantile(acc.latency, 0.95)),
    p99Ms: round(histogramQuantile(acc.latency, 0.99)),
    retriesPerSecond: acc.retries / seconds,
    rateLimitedPerSecond: acc.rateLimited / seconds,
    ejections: acc.ejections,
    codes: { '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
    mtlsShare: acc.mtls + acc.plain ? acc.mtls / (acc.mtls + acc.plain) : null,
    ...(acc.grpc ? { grpc: Object.fromEntries([...acc.grpc].map(([code, n]) => [String(code), n])) } : {}),
  };
}
