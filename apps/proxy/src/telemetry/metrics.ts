import type { Limiter } from '../ratelimit/registry.ts';
import type { UpstreamService } from '../upstream/service.ts';
import type { HandshakeCounters } from '../identity/handshakes.ts';
import { PROM_BUCKETS_S, statusClassName, type EdgeStats, type EdgeTable } from './edges.ts';
import { CONTENT_TYPE, render, type Family, type Labels, type MergeRule, type Sample } from './exposition.ts';
import { measureLag, processFamilies } from './process-metrics.ts';

/** What one workload exposes to /metrics. */
export interface MetricsSource {
  /** "name.namespace" */
  readonly self: string;
  readonly edges: EdgeTable;
  upstreams(): Iterable<UpstreamService>;
  rateLimiters(): Iterable<Limiter>;
  configVersion(): number | undefined;
  spansDropped(): number;
  /** TLS handshakes of its inbound listener and of its calls to other proxies. */
  readonly inboundHandshakes: HandshakeCounters;
  readonly outboundHandshakes: HandshakeCounters;
  /** When its certificate expires (ms since the epoch); undefined without one. */
  certificateExpiry(): number | undefined;
}

/** Adds `value` to the series for `labels` (edges that differ only by version share a series). */
function add(into: Map<string, Sample>, labels: Labels, value: number): void {
  const key = JSON.stringify(labels);
  const found = into.get(key);
  if (found) found.value += value;
  else into.set(key, { labels, value });
}

/** One family with its samples read (what a worker process sends its primary for /metrics, --workers). */
export interface CollectedFamily {
  name: string;
  help: string;
  type: Family['type'];
  merge: MergeRule;
  samples: Sample[];
}

const edgeLabels = (e: EdgeStats) => ({ source_service: e.source, destination_service: e.destination, route: e.route });

/**
 * The /metrics of the process: request metrics of every workload plus Node's process metrics. Values are
 * computed at scrape time from the proxy's own counters; the request path never touches this module.
 */
export class MetricsRegistry {
  readonly contentType = CONTENT_TYPE;
  private lagSeconds = 0;
  private readonly families: Family[];

  constructor(private readonly sources: () => Iterable<MetricsSource>) {
    this.families = [...this.requestFamilies(), ...processFamilies(() => this.lagSeconds)];
  }

  /** The Prometheus text of every family. */
  async metrics(): Promise<string> {
    this.lagSeconds = await measureLag();
    return render(this.families);
  }

  /** Every family with its samples read now. */
  async collect(): Promise<CollectedFamily[]> {
    this.lagSeconds = await measureLag();
    return this.families.map((f) => ({ name: f.name, help: f.help, type: f.type, merge: f.type === 'gauge' ? f.merge : 'sum', samples: [...f.collect()] }));
  }

  private *edges(): Generator<EdgeStats> {
    for (const source of this.sources()) yield* source.edges.list;
  }

  private requestFamilies(): Family[] {
    // 'both' adds a direction label, since a workload's inbound and outbound edges are counted apart.
    const edgeCounter = (name: string, help: string, side: 'inbound' | 'outbound' | 'both', pick: (e: EdgeStats) => number): Family => ({
      name,
      help,
      type: 'counter',
      collect: () => {
        const out = new Map<string, Sample>();
        for (const e of this.edges()) {
          const n = pick(e);
          if (n === 0) continue;
          if (side === 'both') add(out, { ...edgeLabels(e), direction: e.side }, n);
          else if (e.side === side) add(out, edgeLabels(e), n);
        }
        return out.values();
      },
    });
    return [
      {
        name: 'trellis_requests_total',
        help: 'Requests by edge, route and status code.',
        type: 'counter',
        collect: () => {
          const out = new Map<string, Sample>();
          for (const e of this.edges()) {
            if (!e.reported) continue;
            for (const [code, n] of e.codes) add(out, { ...edgeLabels(e), code }, n);
          }
          return out.values();
        },
      },
      {
        name: 'trellis_grpc_requests_total',
        help: 'gRPC calls by edge, route and grpc-status, counted when each call (streams included) ends.',
        type: 'counter',
        collect: () => {
          const out = new Map<string, Sample>();
          for (const e of this.edges()) {
            if (!e.reported) continue;
            for (const [status, n] of e.grpcCodes) add(out, { ...edgeLabels(e), grpc_status: String(status) }, n);
          }
          return out.values();
        },
      },
      {
        name: 'trellis_response_bodies_cut_total',
        help: 'Responses whose upstream body broke off after the head was sent (idle-timeout, upstream-reset, ...), by edge, direction and reason.',
        type: 'counter',
        collect: () => {
          const out = new Map<string, Sample>();
          for (const e of this.edges()) for (const [reason, n] of e.cuts) add(out, { ...edgeLabels(e), direction: e.side, reason }, n);
          return out.values();
        },
      },
      {
        name: 'trellis_request_duration_seconds',
        help: 'Request duration by edge, route and status class.',
        type: 'histogram',
        collect: () => this.durationSamples(),
      },
      edgeCounter('trellis_retries_total', 'Retries sent by this proxy.', 'outbound', (e) => e.retries),
      edgeCounter('trellis_attempts_total', 'Tries sent to an endpoint (outbound, retries included) or to the app (inbound).', 'both', (e) => e.attempts),
      edgeCounter('trellis_failed_attempts_total', 'Tries that failed (5xx or no answer), whether or not a retry then succeeded.', 'both', (e) => e.failedAttempts),
      edgeCounter('trellis_rate_limited_total', 'Requests this proxy refused with 429.', 'inbound', (e) => e.rateLimited),
      edgeCounter('trellis_cache_hits_total', 'Responses served from the cache.', 'inbound', (e) => e.cacheHits),
      edgeCounter('trellis_outlier_ejections_total', 'Endpoints ejected by outlier detection.', 'outbound', (e) => e.ejections),
      {
        name: 'trellis_circuit_open',
        help: '1 while the circuit breaker turns requests to a service away.',
        type: 'gauge',
        // Open in one process is open for some of the proxy's requests.
        merge: 'max',
        collect: () => {
          const out: Sample[] = [];
          for (const source of this.sources()) {
            for (const u of source.upstreams()) {
              if (u.limits) out.push({ labels: { source_service: source.self, destination_service: u.key }, value: u.circuitOpen ? 1 : 0 });
            }
          }
          return out;
        },
      },
      {
        name: 'trellis_rate_limit_decisions_total',
        help: 'Rate limit decisions by policy: allowed, limited, or unavailable (Redis did not answer; the failure mode applied).',
        type: 'counter',
        collect: () => {
          const out: Sample[] = [];
          for (const source of this.sources()) {
            for (const l of source.rateLimiters()) {
              for (const decision of ['allowed', 'limited', 'unavailable'] as const) {
                out.push({ labels: { service: source.self, policy: l.policy, mode: l.kind, decision }, value: l.decisions[decision] });
              }
            }
          }
          return out;
        },
      },
      {
        name: 'trellis_config_version',
        help: 'Version of the snapshot in force (0 before the first).',
        type: 'gauge',
        // The process furthest behind: a worker that missed a snapshot must show.
        merge: 'min',
        collect: () => [...this.sources()].map((s) => ({ labels: { service: s.self }, value: s.configVersion() ?? 0 })),
      },
      {
        name: 'trellis_tls_handshakes_total',
        help: 'Mutual TLS handshakes: inbound (callers of this workload) and outbound (this workload calling others), by result and the reason of a failure.',
        type: 'counter',
        collect: () => {
          const out: Sample[] = [];
          for (const source of this.sources()) {
            for (const [side, counters] of [['inbound', source.inboundHandshakes], ['outbound', source.outboundHandshakes]] as const) {
              out.push({ labels: { service: source.self, side, result: 'ok', reason: '' }, value: counters.ok });
              for (const [reason, n] of counters.failed) out.push({ labels: { service: source.self, side, result: 'failed', reason }, value: n });
            }
          }
          return out;
        },
      },
      {
        name: 'trellis_certificate_expiry_seconds',
        help: "Seconds until the workload's certificate expires (absent without one).",
        type: 'gauge',
        // The soonest: a worker that missed a renewal must show.
        merge: 'min',
        collect: () => {
          const out: Sample[] = [];
          for (const source of this.sources()) {
            const expiry = source.certificateExpiry();
            if (expiry !== undefined) out.push({ labels: { service: source.self }, value: Math.round((expiry - Date.now()) / 1000) });
          }
          return out;
        },
      },
      {
        name: 'trellis_proxy_spans_dropped_total',
        help: 'Spans dropped because the buffer for the control plane was full.',
        type: 'counter',
        collect: () => [{ value: [...this.sources()].reduce((n, s) => n + s.spansDropped(), 0) }],
      },
    ];
  }

  /** trellis_request_duration_seconds: the per-class histograms of edges sharing labels, merged. */
  private durationSamples(): Sample[] {
    const merged = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
    for (const e of this.edges()) {
      if (!e.reported) continue;
      e.byClass.forEach((h, i) => {
        if (!h) return;
        const labels = { ...edgeLabels(e), code_class: statusClassName(i) };
        const key = JSON.stringify(labels);
        let m = merged.get(key);
        if (!m) merged.set(key, (m = { labels, buckets: new Array<number>(h.buckets.length).fill(0), sum: 0, count: 0 }));
        for (let b = 0; b < h.buckets.length; b++) m.buckets[b] = (m.buckets[b] ?? 0) + (h.buckets[b] ?? 0);
        m.sum += h.sumSeconds;
        m.count += h.count;
      });
    }
    const out: Sample[] = [];
    for (const m of merged.values()) {
      let cumulative = 0;
      m.buckets.forEach((n, b) => {
        cumulative += n;
        const le = b < PROM_BUCKETS_S.length ? (PROM_BUCKETS_S[b] ?? 0) : '+Inf';
        out.push({ suffix: '_bucket', labels: { ...m.labels, le }, value: cumulative });
      });
      out.push({ suffix: '_sum', labels: m.labels, value: m.sum });
      out.push({ suffix: '_count', labels: m.labels, value: m.count });
    }
    return out;
  }
}
