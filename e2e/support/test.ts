import { expect, test as base } from '@playwright/test';

/**
 * Playwright's `test`, failing any spec whose pages threw: an uncaught exception, or an error React
 * logs to the console (a hydration mismatch such as #418 is logged, not thrown). Every spec imports
 * `test` and `expect` from here, so "no page errors across every spec" is checked by every spec.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Minified React error|Hydration|hydrat/i.test(m.text())) errors.push(`react: ${m.text()}`);
      });
      await use(errors);
      expect(errors, 'errors thrown in the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
