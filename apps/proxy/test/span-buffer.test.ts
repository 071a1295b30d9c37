import type { Span } from '@trellis/shared';
import { describe, expect, it } from 'vitest';
import { SPAN_BATCH, SPAN_BUFFER_LIMIT, SpanBuffer } from '../src/telemetry/spans.ts';

const span = (n: number): Span => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: n.toString(16).padStart(16, '0'),
  kind: 'client',
  service: 'cart.default',
  name: `GET payments.default /pay/${n}`,
  startMs: 1_764_547_200_000 + n,
  durationMs: 1,
  status: 200,
  error: false,
  attributes: {},
});

describe('the span buffer while the control plane is slow or away', () => {
  it('keeps the spans it has when full and drops new ones, counting them', () => {
    const buffer = new SpanBuffer();
    for (let i = 0; i < SPAN_BUFFER_LIMIT; i++) buffer.push(span(i));
    // A tracer asks before building a span: a full buffer says no and counts the span as dropped.
    expect(buffer.admit()).toBe(false);
    buffer.push(span(SPAN_BUFFER_LIMIT));
    expect(buffer.dropped).toBe(2);
    expect(buffer.length).toBe(SPAN_BUFFER_LIMIT);
    expect(buffer.take(2).map((s) => s.name)).toEqual(['GET payments.default /pay/0', 'GET payments.default /pay/1']);
    // Room again once some were sent.
    expect(buffer.admit()).toBe(true);
    buffer.push(span(SPAN_BUFFER_LIMIT + 1));
    expect(buffer.length).toBe(SPAN_BUFFER_LIMIT - 1);
    expect(buffer.dropped).toBe(2);
    // The span pushed across the wrap-around comes out last, after every one kept before it.
    const rest = buffer.take(SPAN_BUFFER_LIMIT);
    expect(rest).toHaveLength(SPAN_BUFFER_LIMIT - 1);
    expect(rest[0]?.name).toBe('GET payments.default /pay/2');
    expect(rest.at(-1)?.name).toBe(`GET payments.default /pay/${SPAN_BUFFER_LIMIT + 1}`);
    expect(buffer.length).toBe(0);
  });

  it("holds only its own limit: a worker of --workers N keeps about a second of its share, not the single process's 5,000", () => {
    const buffer = new SpanBuffer(3);
    for (let i = 0; i < 5; i++) buffer.push(span(i));
    expect(buffer.length).toBe(3);
    expect(buffer.dropped).toBe(2);
    expect(buffer.take(1).map((s) => s.name)).toEqual(['GET payments.default /pay/0']);
    buffer.push(span(5));
    expect(buffer.take(10).map((s) => s.name)).toEqual(['GET payments.default /pay/1', 'GET payments.default /pay/2', 'GET payments.default /pay/5']);
  });
});

describe('the span buffer grows on demand (a node agent holds one per workload)', () => {
  it('gives spans back oldest first across growth and partial takes', () => {
    const buffer = new SpanBuffer(100);
    for (let i = 0; i < 10; i++) buffer.push(span(i));
    expect(buffer.take(4).map((s) => s.startMs % 1000)).toEqual([0, 1, 2, 3]);
    for (let i = 10; i < 50; i++) buffer.push(span(i)); // wraps the small ring, then grows it
    expect(buffer.length).toBe(46);
    expect(buffer.take(1000).map((s) => s.startMs % 1000)).toEqual(Array.from({ length: 46 }, (_, i) => i + 4));
    expect(buffer.dropped).toBe(0);
  });

  it('stops at its limit: new spans beyond it are dropped and counted', () => {
    const buffer = new SpanBuffer(40);
    for (let i = 0; i < 100; i++) buffer.push(span(i));
    expect(buffer.length).toBe(40);
    expect(buffer.dropped).toBe(60);
    expect(buffer.take(3).map((s) => s.startMs % 1000)).toEqual([0, 1, 2]);
  });
});

describe('the span buffer keeps to the rate spans leave at (a proxy at full load)', () => {
  it('admits a second of spans at once, then as many per second as it may send; the rest are dropped and counted', () => {
    const buffer = new SpanBuffer(5000, 100);
    const t = 10_000;
    let admitted = 0;
    for (let i = 0; i < 150; i++) if (buffer.admit(t)) admitted++;
    expect(admitted).toBe(100);
    expect(buffer.dropped).toBe(50);
    // 50 ms later: five more, whatever is asked.
    admitted = 0;
    for (let i = 0; i < 20; i++) if (buffer.admit(t + 50)) admitted++;
    expect(admitted).toBe(5);
    // A quiet second fills it again, to a second's worth, not more.
    admitted = 0;
    for (let i = 0; i < 300; i++) if (buffer.admit(t + 5_000)) admitted++;
    expect(admitted).toBe(100);
  });

  it("a clock reading older than the last one gives nothing back (the tracer passes each request's end)", () => {
    const buffer = new SpanBuffer(5000, 10);
    for (let i = 0; i < 10; i++) expect(buffer.admit(1_000)).toBe(true);
    expect(buffer.admit(900)).toBe(false);
    expect(buffer.admit(1_100)).toBe(true); // 100 ms at 10 a second: one
    expect(buffer.admit(1_100)).toBe(false);
  });

  it('asks for a batch to be sent once SPAN_BATCH spans wait, and on each span after that', () => {
    const buffer = new SpanBuffer();
    let waiting = 0;
    let batches = 0;
    buffer.onWaiting = () => waiting++;
    buffer.onBatch = () => batches++;
    for (let i = 0; i < SPAN_BATCH - 1; i++) buffer.push(span(i));
    expect([waiting, batches]).toEqual([1, 0]);
    buffer.push(span(SPAN_BATCH));
    buffer.push(span(SPAN_BATCH + 1));
    expect([waiting, batches]).toEqual([1, 2]);
  });
});
