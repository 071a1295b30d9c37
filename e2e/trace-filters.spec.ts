import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { screenshot } from './support/shots.ts';

interface Row {
  error: boolean;
  durationMs: number;
  services: string[];
}

async function listed(page: Page): Promise<Row[]> {
  return page.getByTestId('trace-row').evaluateAll((trs) =>
    trs.map((tr) => ({
      error: tr.getAttribute('data-error') === 'true',
      durationMs: Number(tr.getAttribute('data-duration-ms')),
      services: (tr.getAttribute('data-services') ?? '').split(' '),
    })),
  );
}

/** Polls until the list is non-empty and every row passes `keep`; returns the rows. */
async function expectEveryRow(page: Page, what: string, keep: (r: Row) => boolean): Promise<Row[]> {
  let rows: Row[] = [];
  await expect
    .poll(
      async () => {
        rows = await listed(page);
        return rows.length > 0 && rows.every(keep);
      },
      { timeout: 20_000, message: `a non-empty list where every trace ${what}` },
    )
    .toBe(true);
  return rows;
}

test('trace filters narrow the list, and a retried call is marked in the waterfall', async ({ page }) => {
  await page.goto('/traces');
  await expect(page.getByTestId('traces-page')).toBeVisible();

  // Unfiltered: the demo's traces, fast and slow, and mostly successful.
  await expect.poll(async () => (await listed(page)).length, { timeout: 30_000 }).toBeGreaterThan(5);
  const all = await listed(page);
  expect(all.some((r) => !r.error), 'successful traces in the unfiltered list').toBe(true);

  // Service: only traces with a span of ratings (reviews v2 calls it, on about a tenth of the requests).
  await page.getByTestId('filter-service').selectOption('ratings.default');
  await expect(page).toHaveURL(/service=ratings\.default/);
  await expectEveryRow(page, 'went through ratings.default', (r) => r.services.includes('ratings.default'));
  expect(all.some((r) => !r.services.includes('ratings.default')), 'traces without ratings before the filter').toBe(true);

  // Minimum duration: payments has a slow tail (about 3 % of its requests take 250 ms or more).
  await page.getByTestId('filter-service').selectOption('payments.default');
  const min = page.getByTestId('filter-min-duration');
  // Applied a moment after typing stops, like the other filters (no Enter).
  await min.fill('200');
  await expect(page).toHaveURL(/minMs=200/);
  await expectEveryRow(page, 'took 200 ms or more', (r) => r.durationMs >= 200 && r.services.includes('payments.default'));
  expect(all.some((r) => r.durationMs < 200), 'faster traces before the filter').toBe(true);
  await min.fill('');
  await expect(page).not.toHaveURL(/minMs=/);

  // Status: errors only. Payments fails a few percent of calls, and the cart's proxy retries them.
  await page.getByTestId('filter-status').selectOption('error');
  await expect(page).toHaveURL(/status=error/);
  await expectEveryRow(page, 'has an error in payments', (r) => r.error && r.services.includes('payments.default'));
  await screenshot(page, 'trace-filters');

  // The three together apply to the trace (issue 12.3): a trace with a payments span, an error, and at
  // least the minimum duration from first span to last, though payments' failed call itself was fast.
  // The minimum is the slowest such trace's duration, so at least one exists.
  const failing = await query<{ durationMs: number }[]>('traces.search', { service: 'payments.default', status: 'error', limit: 100 });
  const threshold = Math.max(1, Math.floor(Math.max(...failing.map((t) => t.durationMs)) * 0.5));
  await min.fill(String(threshold));
  await expect(page).toHaveURL(new RegExp(`minMs=${threshold}`));
  await expectEveryRow(page, `went through payments, has an error and took ${threshold} ms or more`, (r) => r.error && r.durationMs >= threshold && r.services.includes('payments.default'));
  await screenshot(page, 'trace-filters-combined');
  await min.fill('');
  await expect(page).not.toHaveURL(/minMs=/);

  // One of them with a retry (nearly all: the retry policy retries 5xx, unless its budget ran out): the
  // failed attempt and the retry, both on the waterfall.
  const hrefs = await page.getByTestId('trace-row').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  let withRetry: string | undefined;
  for (const href of hrefs.slice(0, 10)) {
    const { spans } = await query<{ spans: { attributes: Record<string, unknown> }[] }>('traces.get', { traceId: href.split('/').pop() });
    if (spans.some((s) => Number(s.attributes['retry.attempt'] ?? 0) > 0)) {
      withRetry = href;
      break;
    }
  }
  expect(withRetry, 'a listed error trace with a retry attempt').toBeDefined();
  await page.locator(`[data-testid="trace-row"] a[href="${withRetry}"]`).click();
  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}$/);
  await expect(page.getByTestId('trace-retries').locator('.stat-value')).not.toHaveText('0');
  const waterfall = page.getByTestId('waterfall');
  await expect(waterfall).toBeVisible();
  const retried = waterfall.locator('[data-testid="span-row"]', { has: page.getByTestId('retry-badge') });
  await expect(retried.first()).toBeVisible();
  await expect(retried.first().getByTestId('retry-badge')).toHaveText(/retry #\d/);
  await expect(retried.first()).toHaveAttribute('data-service', 'cart.default');
  await expect(waterfall.locator('[data-testid="span-row"][data-error="true"][data-service="cart.default"]').first()).toBeVisible();
  await retried.first().click();
  await expect(page.getByTestId('span-details')).toContainText('retry.attempt');
  await screenshot(page, 'trace-retry');
});
