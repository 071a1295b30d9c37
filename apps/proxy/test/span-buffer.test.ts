import { describe, expect, it } from 'vitest';
import type { Span } from '@trellis/shared';
import { SpanBuffer } from '../src/telemetry/spans.ts';

const span = (n: number) => ({ name: `s${n}` }) as unknown as Span;
const names = (spans: Span[]) => spans.map((s) => s.name);

describe('the span buffer (grows on demand, bounded)', () => {
  it('gives spans back oldest first across growth and partial takes', () => {
    const buffer = new SpanBuffer(100);
    for (let i = 0; i < 10; i++) buffer.push(span(i));
    expect(names(buffer.take(4))).toEqual(['s0', 's1', 's2', 's3']);
    for (let i = 10; i < 50; i++) buffer.push(span(i)); // wraps the small ring, then grows it
    expect(buffer.length).toBe(46);
    expect(names(buffer.take(1000))).toEqual(Array.from({ length: 46 }, (_, i) => `s${i + 4}`));
    expect(buffer.dropped).toBe(0);
  });

  it('drops the oldest spans beyond its limit and counts them', () => {
    const buffer = new SpanBuffer(40);
    for (let i = 0; i < 100; i++) buffer.push(span(i));
    expect(buffer.length).toBe(40);
    expect(buffer.dropped).toBe(60);
    expect(names(buffer.take(3))).toEqual(['s60', 's61', 's62']);
  });
});
