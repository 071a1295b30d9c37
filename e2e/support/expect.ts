import { expect as base } from '@playwright/test';

/** Playwright's expect with the matchers the specs need beyond the built-in ones. */
export const expect = base.extend({
  /** Both bounds on one value (so a poll passes only on a reading that is inside the range). */
  toBeBetween(received: unknown, lo: number, hi: number) {
    const pass = typeof received === 'number' && received >= lo && received <= hi;
    return {
      pass,
      name: 'toBeBetween',
      expected: `${lo}..${hi}`,
      actual: received,
      message: () => `expected ${String(received)} ${pass ? 'not ' : ''}to be between ${lo} and ${hi} (inclusive)`,
    };
  },
});
