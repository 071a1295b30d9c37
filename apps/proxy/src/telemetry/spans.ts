import { performance } from 'node:perf_hooks';
import type { Span } from '@trellis/shared';

/** Requests slower than this are always traced, whatever the sampling rate. */
export const SLOW_REQUEST_MS = 1000;
/** Spans held while the control plane is slow or away; beyond this new spans are dropped. */
export const SPAN_BUFFER_LIMIT = 5000;
/**
 * Spans a proxy keeps per second at most, whatever its request rate: serialising more costs it CPU at
 * full load, and a dashboard learns nothing more from them. The rest are dropped and counted.
 */
export const SPANS_PER_SECOND = 2000;
/** Spans waiting that have the reporter send them at once, not at its next tick (reporter.ts). */
export const SPAN_BATCH = 32;
/** A node agent holds one buffer per workload: the ring starts this small and doubles as spans wait. */
const SPAN_BUFFER_INITIAL = 16;

/** Whether a finished span is kept: sampled with its trace, or an error, or slow. */
export function keepSpan(sampled: boolean, error: boolean, durationMs: number): boolean {
  return sampled || error || durationMs > SLOW_REQUEST_MS;
}

/** Wall-clock ms of a performance.now() reading. */
export function epochMs(monotonicMs: number): number {
  return performance.timeOrigin + monotonicMs;
}

/**
 * A bounded ring of finished spans waiting to be sent; when full, new spans are dropped and counted (as
 * OpenTelemetry's batch processor does). Not the oldest: a proxy that makes spans faster than it may send
 * them would otherwise build every span and then throw most of them away. Asking `admit()` first, the
 * tracer builds only the spans that will be sent: at 10,000 req/s with sampling 1.0 that is a fifth of them.
 *
 * `admit()` also keeps to a rate (`perSecond`, a token bucket holding a second's worth), the rate at which
 * spans leave. With the size limit alone, a proxy at full load kept its ring full: each span waited
 * 2.5 s (5,000 at 2,000 a second), long enough for V8 to promote it to the old generation, where those
 * spans were half of what a request promoted and grew the heap by ~2 MB a second until a major GC.
 * Admitted at the rate they leave, and sent in batches of SPAN_BATCH as soon as that many wait
 * (`onBatch`), spans wait milliseconds and die young. The ring still fills while the control plane is away.
 *
 * The ring grows on demand up to `limit`: 5,000 slots allocated up front cost each workload of a node
 * agent 39 KB of heap before its first request.
 */
export class SpanBuffer {
  private ring: Array<Span | undefined> = new Array<Span | undefined>(SPAN_BUFFER_INITIAL);
  private head = 0;
  private size = 0;
  /** Spans dropped because the buffer was full. */
  dropped = 0;
  /** Called when a span arrives in an empty buffer (the reporter starts sending batches). */
  onWaiting: (() => void) | undefined;
  /** Called on each span pushed while SPAN_BATCH or more wait (the reporter sends a batch soon). */
  onBatch: (() => void) | undefined;
  /** Spans `admit()` may still let in, as of `countedAt` (performance.now() ms). */
  private tokens: number;
  private countedAt = performance.now();

  /**
   * `limit`: the spans it holds at most; `perSecond`: the spans it admits per second at most (a worker of
   * --workers N: about a second of its share for both).
   */
  constructor(
    private readonly limit = SPAN_BUFFER_LIMIT,
    private readonly perSecond = SPANS_PER_SECOND,
  ) {
    this.tokens = perSecond;
  }

  /**
   * Whether one more span fits, in the ring and in the rate; when it does not, the span is counted as
   * dropped and should not be built. `nowMs`: performance.now(), which the caller usually has.
   */
  admit(nowMs = performance.now()): boolean {
    if (this.size < this.limit) {
      if (nowMs > this.countedAt) {
        this.tokens = Math.min(this.perSecond, this.tokens + ((nowMs - this.countedAt) * this.perSecond) / 1000);
        this.countedAt = nowMs;
      }
      if (this.tokens >= 1) {
        this.tokens--;
        return true;
      }
    }
    this.dropped++;
    return false;
  }

  /** Adds a span admitted before (or one a worker sent: those were admitted there); beyond the limit, drops it. */
  push(span: Span): void {
    if (this.size >= this.limit) {
      this.dropped++;
      return;
    }
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = span;
    if (this.size++ === 0) this.onWaiting?.();
    else if (this.size >= SPAN_BATCH) this.onBatch?.();
  }

  get length(): number {
    return this.size;
  }

  /** Removes and returns up to `max` spans, oldest first. */
  take(max: number): Span[] {
    const n = Math.min(max, this.size);
    const capacity = this.ring.length;
    const out: Span[] = [];
    for (let i = 0; i < n; i++) {
      const span = this.ring[this.head];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % capacity;
      if (span) out.push(span);
    }
    this.size -= n;
    return out;
  }

  /** Empties the buffer, counting what it held as dropped; returns how many. */
  drop(): number {
    const n = this.size;
    this.dropped += n;
    this.ring = new Array<Span | undefined>(SPAN_BUFFER_INITIAL);
    this.head = 0;
    this.size = 0;
    return n;
  }

  /** Doubles the ring (up to the limit), oldest span first. */
  private grow(): void {
    const capacity = this.ring.length;
    const next = new Array<Span | undefined>(Math.min(this.limit, capacity * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.ring[(this.head + i) % capacity];
    this.ring = next;
    this.head = 0;
  }
}
