import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/index.ts';

const never = () => 0; // the smallest jitter
const always = () => 1; // the largest jitter (random() never quite reaches 1; the bound must still hold)

describe('backoffDelay', () => {
  it('starts small: the first retry comes within baseMs', () => {
    expect(backoffDelay(0, 250, 10_000, never)).toBe(125);
    expect(backoffDelay(0, 250, 10_000, always)).toBe(250);
  });

  it('grows exponentially with the attempt', () => {
    const middle = () => 0.5;
    const delays = [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, 100, 1_000_000, middle));
    expect(delays).toEqual([75, 150, 300, 600, 1200, 2400]);
  });

  it('is jittered between half and all of the ceiling', () => {
    for (const attempt of [0, 3, 6]) {
      const ceiling = Math.min(10_000, 250 * 2 ** attempt);
      expect(backoffDelay(attempt, 250, 10_000, never)).toBe(ceiling / 2);
      expect(backoffDelay(attempt, 250, 10_000, always)).toBe(ceiling);
      expect(backoffDelay(attempt, 250, 10_000, () => 0.25)).toBe(Math.round(ceiling * 0.625));
    }
  });

  it('spreads proxies out: real randomness gives many different delays for the same attempt', () => {
    const samples = Array.from({ length: 200 }, () => backoffDelay(4));
    expect(new Set(samples).size).toBeGreaterThan(50);
    for (const d of samples) {
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('is capped at maxMs however many attempts failed', () => {
    expect(backoffDelay(6, 250, 10_000, always)).toBe(10_000);
    expect(backoffDelay(50, 250, 10_000, always)).toBe(10_000);
    expect(backoffDelay(10_000, 250, 10_000, always)).toBe(10_000);
    for (let attempt = 0; attempt < 100; attempt++) {
      const d = backoffDelay(attempt, 250, 10_000, Math.random);
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeLessThanOrEqual(10_000);
    }
    // Still jittered at the cap, so reconnecting proxies do not arrive in step.
    expect(backoffDelay(50, 250, 10_000, never)).toBe(5_000);
  });

  it('defaults to 250 ms growing to 10 s', () => {
    expect(backoffDelay(0, undefined, undefined, always)).toBe(250);
    expect(backoffDelay(20, undefined, undefined, always)).toBe(10_000);
  });
});
