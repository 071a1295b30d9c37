import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { expectCardsContained, expectNoHorizontalScroll, expectNoOverlap, expectTextApart } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// Issue 12.2 and 12.7: every page works at a phone's 390x844 as on a 1280x800 desktop: the page never
// scrolls sideways, the parts of headers and toolbars never cover one another, no text is drawn over
// other text, nothing in a card is wider than the card, and (support/test.ts) no page throws. Each page
// is saved as a screenshot at both sizes, to look at (e2e/screenshots/layout-*).
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function pages(): Promise<{ name: string; path: string; ready: string }[]> {
  const traces = await query<{ traceId: string }[]>('traces.search', { limit: 1 }).catch(() => []);
  return [
    { name: 'graph', path: '/graph', ready: 'main' },
    { name: 'traces', path: '/traces', ready: '[data-testid="trace-row"]' },
    ...(traces[0] ? [{ name: 'trace', path: `/traces/${traces[0].traceId}`, ready: 'main h1' }] : []),
    { name: 'policies', path: '/policies', ready: '[data-testid="policies-table"]' },
    { name: 'policy-editor', path: '/policies/RetryPolicy/default/payments-retry', ready: '[data-testid="policy-editor"]' },
    { name: 'policy-new', path: '/policies/new?target=catalog&namespace=default', ready: 'main h1' },
    { name: 'canary', path: '/canary', ready: 'main h1' },
    { name: 'proxies', path: '/proxies', ready: '[data-testid="proxy-row"]' },
    { name: 'security', path: '/security', ready: 'main h1' },
    { name: 'tap', path: '/tap?service=catalog.default', ready: 'main h1' },
    { name: 'users', path: '/users', ready: '[data-testid="user-row"]' },
    { name: 'account', path: '/account', ready: 'main h1' },
    { name: 'not-found', path: '/traces/nonsense', ready: 'main h1' },
  ];
}

for (const size of SIZES) {
  test(`every page at ${size.width}x${size.height}: no sideways scroll, nothing covering anything`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const p of await pages()) {
      await test.step(p.name, async () => {
        await page.goto(p.path);
        await expect(page.locator(p.ready).first()).toBeVisible();
        await expectNoHorizontalScroll(page);
        await expectNoOverlap(page.locator('.page-header > :not(.page-actions), .page-actions > *'), `${p.name} header`);
        for (const toolbar of await page.locator('main .toolbar').all()) await expectNoOverlap(toolbar.locator('> *'), `${p.name} toolbar`);
        // Words run into each other (a span's name over its duration), a table a few pixels wider than its card.
        await expectTextApart(page.locator('main'), p.name);
        await expectCardsContained(page.locator('main'), p.name);
        await screenshot(page, `layout-${p.name}-${size.name}`);
      });
    }
  });
}

test('at 390 px the navigation is a menu button that opens every page', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/proxies');
  const nav = page.getByRole('navigation', { name: 'Main' });
  const box = await nav.boundingBox();
  expect(box?.height ?? 999, 'the folded bar is one row').toBeLessThan(70);
  await expect(page.getByTestId('nav-traces')).toBeHidden();
  await page.getByTestId('nav-toggle').click();
  await expect(page.getByTestId('nav-toggle')).toHaveAttribute('aria-expanded', 'true');
  await screenshot(page, 'layout-menu-open-phone');
  await page.getByTestId('nav-traces').click();
  await expect(page).toHaveURL(/\/traces$/);
  // Choosing a page folds the menu again.
  await expect(page.getByTestId('nav-policies')).toBeHidden();
});
