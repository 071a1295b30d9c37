import type { ProxyMessage, Span } from '@trellis/shared';
import { expect, test } from 'vitest';
import { MAX_SPANS_PER_MESSAGE, TelemetryReporter, type TelemetrySink } from '../src/telemetry/reporter.ts';
import { SPAN_BATCH } from '../src/telemetry/spans.ts';
import { Tracer } from '../src/telemetry/tracer.ts';

// The last report at drain used to send one batch of MAX_SPANS_PER_MESSAGE (200) spans and let the rest
// die with the process, counted nowhere. Now it sends what the stream takes and counts the rest.

const span = (n: number): Span => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: n.toString(16).padStart(16, '0'),
  kind: 'server',
  service: 'cart.default',
  // About 800 bytes of JSON each, so a megabyte is some 1,300 spans.
  name: `GET /cart/${n}/${'x'.repeat(500)}`,
  startMs: 1_764_547_200_000 + n,
  durationMs: 1,
  status: 200,
  error: false,
  attributes: {},
});

/** The stream as the reporter sees it: what was sent, and the bytes still unsent once the socket stops taking them. */
function stream(takesBytes: number) {
  const sent: ProxyMessage[] = [];
  let written = 0;
  const sink: TelemetrySink = {
    state: 'connected',
    get bufferedAmount() {
      return Math.max(0, written - takesBytes);
    },
    send(message) {
      sent.push(message);
      written += JSON.stringify(message).length;
      return true;
    },
  };
  const spans = () => sent.flatMap((m) => (m.type === 'spans' ? m.spans : []));
  return { sink, sent, spans };
}

const withSpans = (n: number) => {
  const tracer = new Tracer('cart.default');
  for (let i = 0; i < n; i++) tracer.buffer.push(span(i));
  return tracer;
};

test('at drain every waiting span goes out while the stream takes them (not one batch of 200)', () => {
  const tracer = withSpans(1000);
  const { sink, sent, spans } = stream(Infinity);
  const dropped = new TelemetryReporter(sink, { takeDeltas: () => [] }, tracer).finish();
  expect(dropped).toBe(0);
  expect(spans()).toHaveLength(1000);
  expect(sent.every((m) => m.type !== 'spans' || m.spans.length <= MAX_SPANS_PER_MESSAGE)).toBe(true);
  expect(tracer.buffer.length).toBe(0);
  expect(tracer.buffer.dropped).toBe(0);
});

test('at drain the spans a backed-up stream cannot take are counted as dropped', () => {
  const tracer = withSpans(3000);
  // The socket takes nothing more: the reporter stops once 1 MB waits unsent.
  const { sink, spans } = stream(0);
  const dropped = new TelemetryReporter(sink, { takeDeltas: () => [] }, tracer).finish();
  const sentCount = spans().length;
  expect(sentCount).toBeGreaterThan(MAX_SPANS_PER_MESSAGE);
  expect(sentCount).toBeLessThan(3000);
  expect(dropped).toBe(3000 - sentCount);
  expect(tracer.buffer.dropped).toBe(dropped);
  expect(tracer.buffer.length).toBe(0);
});

test('at drain with the stream down every waiting span is counted as dropped', () => {
  const tracer = withSpans(50);
  const { sink, sent } = stream(Infinity);
  const down: TelemetrySink = { state: 'disconnected', bufferedAmount: 0, send: (m) => sink.send(m) };
  expect(new TelemetryReporter(down, { takeDeltas: () => [] }, tracer).finish()).toBe(50);
  expect(sent).toHaveLength(0);
  expect(tracer.buffer.dropped).toBe(50);
});

test('a batch of SPAN_BATCH spans leaves on the next turn of the event loop, not at the next tick', async () => {
  const tracer = new Tracer('cart.default');
  tracer.enabled = true;
  const { sink, spans } = stream(Infinity);
  // A ticker that never fires: only the batch path can send.
  const never = { every: () => () => undefined };
  const reporter = new TelemetryReporter(sink, { takeDeltas: () => [] }, tracer, never);
  reporter.start();
  for (let i = 0; i < SPAN_BATCH - 1; i++) tracer.buffer.push(span(i));
  await new Promise((resolve) => setImmediate(resolve));
  expect(spans()).toHaveLength(0);
  tracer.buffer.push(span(SPAN_BATCH));
  expect(spans()).toHaveLength(0); // not inside the request that finished the batch
  await new Promise((resolve) => setImmediate(resolve));
  expect(spans()).toHaveLength(SPAN_BATCH);
  expect(tracer.buffer.length).toBe(0);
  reporter.stop();
});
