import type { EdgeDelta, ProxyMessage } from '@trellis/shared';
import { ticks, type Ticker } from '../ticks.ts';
import type { Tracer } from './tracer.ts';

/** The stream client as the reporter needs it (the real one is @trellis/stream-client's StreamClient). */
export interface TelemetrySink {
  readonly state: string;
  readonly bufferedAmount: number;
  send(message: ProxyMessage): boolean;
}

/** Where the interval deltas come from: the workload's EdgeTable, or (--workers) what the workers sent. */
export interface DeltaSource {
  takeDeltas(): EdgeDelta[];
}

export const REPORT_INTERVAL_MS = 1000;
/**
 * Spans leave in small batches ten times a second rather than once a second in one: turning 1,000 spans
 * into JSON holds the event loop for milliseconds, which showed in the proxy's p99 at 1,000 req/s.
 */
export const SPAN_INTERVAL_MS = 100;
/**
 * Spans per message (the stream schema allows 10,000): a tick's worth at SPANS_PER_SECOND (spans.ts),
 * the 2,000 spans/s a proxy keeps at most. A backlog (the stream was down) leaves in messages this size.
 */
export const MAX_SPANS_PER_MESSAGE = 200;
/** Hold spans back while this much is still unsent on the socket: a slow control plane is not flooded. */
const MAX_BUFFERED_BYTES = 1 << 20;

/**
 * Sends per-edge metric deltas to the control plane once a second, and finished spans as soon as
 * SPAN_BATCH of them wait, the rest every SPAN_INTERVAL_MS. While the stream is down nothing is taken:
 * deltas keep adding up (the next report covers the whole gap) and spans wait in their bounded buffer.
 * Both run on the process's shared ticks (ticks.ts), and the span batches only while spans wait: an idle
 * workload of a node agent costs no wake-up of its own.
 */
export class TelemetryReporter {
  private stopReports: (() => void) | undefined;
  private stopSpans: (() => void) | undefined;
  /** A batch send is due on the next turn of the event loop (SPAN_BATCH spans wait). */
  private batchDue = false;
  private lastReport = Date.now();

  constructor(
    private readonly sink: TelemetrySink,
    private readonly edges: DeltaSource,
    private readonly tracer: Tracer,
    private readonly ticker: Ticker = ticks,
  ) {}

  start(): void {
    this.stopReports ??= this.ticker.every(REPORT_INTERVAL_MS, () => this.report());
    this.tracer.buffer.onWaiting = () => this.armSpans();
    this.tracer.buffer.onBatch = () => this.sendBatchSoon();
    if (this.tracer.buffer.length > 0) this.armSpans();
  }

  stop(): void {
    this.stopReports?.();
    this.stopReports = undefined;
    this.tracer.buffer.onWaiting = undefined;
    this.tracer.buffer.onBatch = undefined;
    this.disarmSpans();
  }

  /** Sends what has accumulated, if the stream is up. */
  report(): void {
    if (this.sink.state !== 'connected') return;
    const now = Date.now();
    const deltas = this.edges.takeDeltas();
    if (deltas.length > 0) {
      this.sink.send({ type: 'metrics', report: { at: now, intervalMs: Math.max(1, now - this.lastReport), edges: deltas } });
    }
    this.lastReport = now;
    this.sendSpans();
  }

  /**
   * The last report, at drain: the deltas, then every waiting span, in batches, for as long as the stream
   * takes them (connected, less than MAX_BUFFERED_BYTES unsent). What does not fit is counted as dropped
   * (trellis_proxy_spans_dropped_total), not lost unseen with the process. Returns how many were dropped.
   */
  finish(): number {
    this.stop();
    this.report();
    const buffer = this.tracer.buffer;
    while (buffer.length > 0 && this.streamTakesMore()) {
      this.sink.send({ type: 'spans', spans: buffer.take(MAX_SPANS_PER_MESSAGE) });
    }
    return buffer.drop();
  }

  /** Sends the next batch of finished spans, if the stream is up and not backed up. */
  sendSpans(): void {
    const buffer = this.tracer.buffer;
    if (buffer.length === 0) {
      this.disarmSpans();
      return;
    }
    if (!this.streamTakesMore()) return;
    this.sink.send({ type: 'spans', spans: buffer.take(MAX_SPANS_PER_MESSAGE) });
  }

  /** Whether the stream is up and not backed up: a slow control plane is not flooded. */
  private streamTakesMore(): boolean {
    return this.sink.state === 'connected' && this.sink.bufferedAmount < MAX_BUFFERED_BYTES;
  }

  /**
   * A batch is waiting: send it once this turn of the event loop is over, not inside the request that
   * finished it (serialising it would add to that request's time), nor at the next tick (spans that wait
   * get promoted to V8's old generation at full load; spans.ts).
   */
  private sendBatchSoon(): void {
    // While the stream cannot take them, spans wait for the tick: no wake-up per span pushed.
    if (this.batchDue || !this.streamTakesMore()) return;
    this.batchDue = true;
    setImmediate(() => {
      this.batchDue = false;
      if (this.stopReports) this.sendSpans();
    });
  }

  /** Spans are waiting: send a batch every SPAN_INTERVAL_MS until the buffer is empty. */
  private armSpans(): void {
    this.stopSpans ??= this.ticker.every(SPAN_INTERVAL_MS, () => this.sendSpans());
  }

  private disarmSpans(): void {
    this.stopSpans?.();
    this.stopSpans = undefined;
  }
}
