import { expect, test } from './support/test.ts';
import { screenshot } from './support/shots.ts';

/** The demo's workloads, one sidecar proxy each (instance ids as `trellis up` names them). */
const DEMO_PROXIES = ['frontend', 'catalog', 'cart', 'reviews-v1', 'reviews-v2', 'ratings', 'payments'];

test('proxies: every demo proxy is listed with the config version it applied, in sync', async ({ page }) => {
  await page.goto('/proxies');
  const table = page.getByTestId('proxies-table');
  await expect(table).toBeVisible();

  // Each demo proxy has a row with a numeric applied version equal to the wanted one, and "in sync"
  // (a policy another spec just saved may still be rolling out, so this is polled).
  await expect
    .poll(
      async () => {
        const rows = await table.getByTestId('proxy-row').evaluateAll((trs) =>
          trs.map((tr) => ({
            instance: tr.getAttribute('data-instance'),
            applied: tr.querySelector('[data-testid="proxy-applied"]')?.textContent ?? '',
            wanted: tr.querySelector('[data-testid="proxy-wanted"]')?.textContent ?? '',
            status: tr.querySelector('[data-testid="proxy-sync"]')?.textContent ?? '',
          })),
        );
        return DEMO_PROXIES.flatMap((instance) => {
          const row = rows.find((r) => r.instance === instance);
          if (!row) return [`${instance}: not listed`];
          if (!/^\d+$/.test(row.applied)) return [`${instance}: applied version "${row.applied}"`];
          if (row.applied !== row.wanted) return [`${instance}: applied ${row.applied}, wanted ${row.wanted}`];
          if (row.status !== 'in sync') return [`${instance}: ${row.status}`];
          return [];
        });
      },
      { timeout: 30_000, message: 'every demo proxy listed, applied version = wanted, in sync' },
    )
    .toEqual([]);

  const connected = Number(await page.getByTestId('proxies-connected').locator('.stat-value').textContent());
  expect(connected).toBeGreaterThanOrEqual(DEMO_PROXIES.length);
  await expect(page.getByTestId('proxies-in-sync').locator('.stat-value')).toHaveText(`${connected}/${connected}`);

  // thumbnails (serverless) is up and in sync, scaled to zero by its policy, or (after the grace period)
  // no longer listed: never a lost proxy. Polled, for the moment between its sidecar stopping and the
  // scale-down call returning.
  const thumbnails = table.locator('[data-testid="proxy-row"][data-instance="thumbnails"] [data-testid="proxy-sync"]');
  await expect
    .poll(async () => ((await thumbnails.count()) ? await thumbnails.textContent() : 'not listed'), { timeout: 15_000 })
    .toMatch(/^(in sync|scaled to zero|not listed)$/);
  await expect(page.getByTestId('proxies-disconnected').locator('.stat-value')).toHaveText('0', { timeout: 15_000 });

  // The filter narrows the table to one service's proxies, and clearing it shows them all again.
  const rows = await table.getByTestId('proxy-row').count();
  await page.getByTestId('proxies-search').fill('reviews');
  await expect(table.getByTestId('proxy-row')).toHaveCount(2);
  await expect(table.locator('[data-testid="proxy-row"][data-instance="reviews-v2"]')).toBeVisible();
  await page.getByTestId('proxies-search').fill('');
  await expect(table.getByTestId('proxy-row')).toHaveCount(rows);
  await screenshot(page, 'proxies');
});
