import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Limiter } from '../ratelimit/registry.ts';
import type { UpstreamService } from '../upstream/service.ts';
import { PROM_BUCKETS_S, statusClassName, type EdgeTable } from './edges.ts';

/** What one workload exposes to /metrics. */
export interface MetricsSource {
  /** "name.namespace" */
  readonly self: string;
  readonly edges: EdgeTable;
  upstreams(): Iterable<UpstreamService>;
  rateLimiters(): Iterable<Limiter>;
  configVersion(): number | undefined;
}

type Labels = Record<string, string | number>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A metric whose values are computed at scrape time from the proxy's own counters, so the request path
 * never touches prom-client (label hashing per observation is what made it show in profiles).
 */
function scrapeTime(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', collect: () => Value[]): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: collect() }),
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}

/** Adds `value` to the entry for `labels` (edges that differ only by version share a series). */
function add(into: Map<string, Value>, labels: Labels, value: number): void {
  const key = JSON.stringify(labels);
  const found = into.get(key);
  if (found) found.value += value;
  else into.set(key, { labels, value });
}

/** The Prometheus registry of the process: request metrics of every workload plus Node's process metrics. */
export function createMetricsRegistry(sources: () => Iterable<MetricsSource>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trellis_proxy_' });

  const edges = function* () {
    for (const source of sources()) yield* source.edges.list;
  };

  registry.registerMetric(
    scrapeTime('trellis_requests_total', 'Requests by edge, route and status code.', 'counter', () => {
      const out = new Map<string, Value>();
      for (const e of edges()) {
        if (!e.reported) continue;
        for (const [code, n] of e.codes) {
          add(out, { source_service: e.source, destination_service: e.destination, route: e.route, code }, n);
        }
      }
      return [...out.values()];
    }),
  );

  registry.registerMetric(
    scrapeTime('trellis_request_duration_seconds', 'Request duration by edge, route and status class.', 'histogram', () => {
      const out: Value[] = [];
      const merged = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
      for (const e of edges()) {
        if (!e.reported) continue;
        e.byClass.forEach((h, i) => {
          if (!h) return;
          const labels = { source_service: e.source, destination_service: e.destination, route: e.route, code_class: statusClassName(i) };
          const key = JSON.stringify(labels);
          let m = merged.get(key);
          if (!m) merged.set(key, (m = { labels, buckets: new Array<number>(h.buckets.length).fill(0), sum: 0, count: 0 }));
          for (let b = 0; b < h.buckets.length; b++) m.buckets[b] = (m.buckets[b] ?? 0) + (h.buckets[b] ?? 0);
          m.sum += h.sumSeconds;
          m.count += h.count;
        });
      }
      for (const m of merged.values()) {
        let cumulative = 0;
        m.buckets.forEach((n, b) => {
          cumulative += n;
          const le = b < PROM_BUCKETS_S.length ? (PROM_BUCKETS_S[b] ?? 0) : '+Inf';
          out.push({ metricName: 'trellis_request_duration_seconds_bucket', labels: { ...m.labels, le }, value: cumulative });
        });
        out.push({ metricName: 'trellis_request_duration_seconds_sum', labels: m.labels, value: m.sum });
        out.push({ metricName: 'trellis_request_duration_seconds_count', labels: m.labels, value: m.count });
      }
      return out;
    }),
  );

  const edgeCounter = (name: string, help: string, side: 'inbound' | 'outbound', pick: (e: EdgeTable['list'][number]) => number) =>
    scrapeTime(name, help, 'counter', () => {
      const out = new Map<string, Value>();
      for (const e of edges()) {
        const n = pick(e);
        if (e.side === side && n > 0) add(out, { source_service: e.source, destination_service: e.destination, route: e.route }, n);
      }
      return [...out.values()];
    });
  registry.registerMetric(edgeCounter('trellis_retries_total', 'Retries sent by this proxy.', 'outbound', (e) => e.retries));
  registry.registerMetric(edgeCounter('trellis_rate_limited_total', 'Requests this proxy refused with 429.', 'inbound', (e) => e.rateLimited));
  registry.registerMetric(edgeCounter('trellis_cache_hits_total', 'Responses served from the cache.', 'inbound', (e) => e.cacheHits));
  registry.registerMetric(edgeCounter('trellis_outlier_ejections_total', 'Endpoints ejected by outlier detection.', 'outbound', (e) => e.ejections));

  registry.registerMetric(
    scrapeTime('trellis_circuit_open', '1 while the circuit breaker turns requests to a service away.', 'gauge', () => {
      const out: Value[] = [];
      for (const source of sources()) {
        for (const u of source.upstreams()) {
          if (u.limits) out.push({ labels: { source_service: source.self, destination_service: u.key }, value: u.circuitOpen ? 1 : 0 });
        }
      }
      return out;
    }),
  );

  registry.registerMetric(
    scrapeTime(
      'trellis_rate_limit_decisions_total',
      'Rate limit decisions by policy: allowed, limited, or unavailable (Redis did not answer; the failure mode applied).',
      'counter',
      () => {
        const out: Value[] = [];
        for (const source of sources()) {
          for (const l of source.rateLimiters()) {
            for (const decision of ['allowed', 'limited', 'unavailable'] as const) {
              out.push({ labels: { service: source.self, policy: l.policy, mode: l.kind, decision }, value: l.decisions[decision] });
            }
          }
        }
        return out;
      },
    ),
  );

  registry.registerMetric(
    scrapeTime('trellis_config_version', 'Version of the snapshot in force (0 before the first).', 'gauge', () =>
      [...sources()].map((s) => ({ labels: { service: s.self }, value: s.configVersion() ?? 0 })),
    ),
  );
  return registry;
}
