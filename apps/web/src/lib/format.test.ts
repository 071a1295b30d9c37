import { describe, expect, it } from 'vitest';
import { quantiseCount, quantiseMs, quantiseRate, quantiseShare } from '@trellis/shared';
import { fmtCount, fmtMs, fmtPct, fmtRps } from './format';

// graph.live leaves out changes the page cannot show: the control plane rounds every figure to what these
// formatters print (packages/shared/src/live-graph.ts). If the two drifted apart, the graph would freeze on
// a figure that moved. Rounding a value first must never change what is printed.

/** Values across every range the formatters switch at, from a fixed seed (the same ones every run). */
function samples(max: number): number[] {
  let s = 12345;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const out = [0];
  for (let decade = 1e-3; decade < max; decade *= 10) for (let i = 0; i < 400; i++) out.push(decade * (1 + random() * 9));
  return out;
}

describe('the live graph rounds figures exactly as the dashboard prints them', () => {
  it('rates (requests per second)', () => {
    for (const v of samples(1e6)) expect(fmtRps(quantiseRate(v)), String(v)).toBe(fmtRps(v));
  });
  it('success rates and shares', () => {
    for (const v of samples(1).filter((v) => v <= 1)) expect(fmtPct(quantiseShare(v)), String(v)).toBe(fmtPct(v));
  });
  it('latencies', () => {
    for (const v of samples(1e6)) expect(fmtMs(quantiseMs(v)), String(v)).toBe(fmtMs(v));
  });
  it('counts', () => {
    for (const v of samples(1e8)) expect(fmtCount(quantiseCount(v)), String(v)).toBe(fmtCount(v));
  });
});
