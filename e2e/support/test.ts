import { expect, test as base, type Page } from '@playwright/test';

/** Collects into `errors` what `page` throws: an uncaught exception, or an error React logs to the console. */
export function collectPageErrors(page: Page, errors: string[], prefix = ''): void {
  page.on('pageerror', (e) => errors.push(`${prefix}uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Minified React error|Hydration|hydrat/i.test(m.text())) errors.push(`${prefix}react: ${m.text()}`);
  });
}

/**
 * Playwright's `test`, failing any spec whose pages threw: an uncaught exception, or an error React
 * logs to the console (a hydration mismatch such as #418 is logged, not thrown). Every spec imports
 * `test` and `expect` from here, so "no page errors across every spec" is checked by every spec; a spec
 * that opens a page of its own adds it with collectPageErrors(page, pageErrors).
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      collectPageErrors(page, errors);
      await use(errors);
      expect(errors, 'errors thrown in the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
