import { performance } from 'node:perf_hooks';
import type { Span } from '@trellis/shared';

/** Requests slower than this are always traced, whatever the sampling rate. */
export const SLOW_REQUEST_MS = 1000;
/** Spans held while the control plane is slow or away; beyond this new spans are dropped. */
export const SPAN_BUFFER_LIMIT = 5000;
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
 * them (2,000 a second, reporter.ts) would otherwise build every span, keep it in the ring for seconds —
 * long enough for V8 to promote it to the old generation — and then throw most of them away. Asking
 * `admit()` first, the tracer builds only the spans that will be sent: at 10,000 req/s with sampling 1.0
 * that is a fifth of them.
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

  /** `limit`: the spans it holds at most (a worker of --workers N holds about a second of its share). */
  constructor(private readonly limit = SPAN_BUFFER_LIMIT) {}

  /** Whether one more span fits; when it does not, the span is counted as dropped and should not be built. */
  admit(): boolean {
    if (this.size < this.limit) return true;
    this.dropped++;
    return false;
  }

  push(span: Span): void {
    if (!this.admit()) return;
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = span;
    if (this.size++ === 0) this.onWaiting?.();
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
