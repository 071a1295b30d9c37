import { EventEmitter } from 'node:events';
import type { MetricsReport, Span } from '@trellis/shared';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { MetricWindows } from './windows.ts';
import { SpanStore } from './span-store.ts';
import { OtlpExporter } from './otlp.ts';
import { tapEvent, type TapEvent } from './tap.ts';
import { LiveGraphFeeds } from './live-graph.ts';

/** A metric report folded in later than this after its proxy sent it is dropped instead. */
export const MAX_REPORT_LAG_MS = 10_000;

export interface TelemetryOptions {
  spanMaxAgeMs: number;
  maxSpans: number;
  maxSeries?: number;
  /** Spans waiting for the database beyond this are dropped (default 50,000). */
  maxPendingSpans?: number;
  retentionEveryMs?: number;
  otlpEndpoint?: string | undefined;
}

/**
 * What proxies report, kept for the dashboard: metric deltas into rolling windows, spans into Postgres
 * (with retention), and live requests for the tap ('tap' events).
 */
export class Telemetry extends EventEmitter {
  readonly windows: MetricWindows;
  readonly spans: SpanStore;
  /** graph.live's shared feeds: one graph build a second per distinct question, however many viewers. */
  readonly liveGraph = new LiveGraphFeeds();
  private readonly otlp: OtlpExporter | undefined;
  private readonly retention: NodeJS.Timeout;
  deltasReceived = 0;
  spansReceived = 0;
  /** Edge deltas dropped because their report came later than MAX_REPORT_LAG_MS after it was sent. */
  deltasDropped = 0;
  /** Reports' lag (ms from the proxy sending one to it being folded in), for the metrics histogram. */
  readonly reportLags: number[] = [];
  private lastLagNotice = 0;
  private droppedAtLagNotice = 0;

  constructor(prisma: PrismaClient, options: TelemetryOptions) {
    super();
    this.setMaxListeners(1000);
    this.windows = new MetricWindows(options.maxSeries);
    this.spans = new SpanStore(prisma, { maxAgeMs: options.spanMaxAgeMs, maxSpans: options.maxSpans, ...(options.maxPendingSpans ? { maxPending: options.maxPendingSpans } : {}) });
    this.spans.on('error', (err: Error) => this.emit('warning', `span write failed: ${err.message}`));
    this.spans.on('shedding', (dropped: number, limit: number) =>
      this.emit('warning', `telemetry: the database is not keeping up with spans; dropped ${dropped} spans (${limit} wait at most; trellis_cp_spans_dropped_total counts them all)`),
    );
    this.otlp = options.otlpEndpoint ? new OtlpExporter(options.otlpEndpoint) : undefined;
    this.retention = setInterval(() => {
      this.spans.enforceRetention().catch((err: Error) => this.emit('warning', `span retention failed: ${err.message}`));
    }, options.retentionEveryMs ?? 30_000);
    this.retention.unref();
  }

  /**
   * Folds a report's edge deltas into the windows. `clockSkewMs` is how far the proxy's clock is ahead of
   * ours. Deltas are folded in as they arrive (in the stream's message handler), so a control plane that
   * cannot keep up falls behind in its sockets, not in a queue of ours: that shows as the reports' lag.
   * A report later than MAX_REPORT_LAG_MS is dropped, counted and said (at most every 10 s): folded into
   * the current second it would be counted at the wrong time, and skipping it helps catching up.
   */
  ingestMetrics(report: MetricsReport, clockSkewMs = 0): void {
    const lag = Math.max(0, Date.now() - (report.at - clockSkewMs));
    if (this.reportLags.length < 10_000) this.reportLags.push(lag);
    if (lag > MAX_REPORT_LAG_MS) {
      this.deltasDropped += report.edges.length;
      const now = Date.now();
      if (now - this.lastLagNotice >= 10_000) {
        this.emit(
          'warning',
          `telemetry: metric reports arrive ${(lag / 1000).toFixed(1)} s after they were sent; dropped ${this.deltasDropped - this.droppedAtLagNotice} edge deltas older than ${MAX_REPORT_LAG_MS / 1000} s (trellis_cp_metric_deltas_dropped_total counts them all)`,
        );
        this.lastLagNotice = now;
        this.droppedAtLagNotice = this.deltasDropped;
      }
      return;
    }
    this.deltasReceived += report.edges.length;
    this.windows.add(report.edges);
  }

  ingestSpans(spans: Span[]): void {
    this.spansReceived += spans.length;
    this.spans.add(spans);
    this.otlp?.add(spans);
    if (this.listenerCount('tap') === 0) return;
    for (const s of spans) {
      const event = tapEvent(s);
      if (event) this.emit('tap', event satisfies TapEvent);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.retention);
    await this.spans.close();
    await this.otlp?.close();
  }
}

export type { TapEvent } from './tap.ts';
