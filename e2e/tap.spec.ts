import { expect, test } from './support/test.ts';
import { screenshot } from './support/shots.ts';

test('live tap: requests into catalog arrive as they happen', async ({ page }) => {
  await page.goto('/tap');
  await page.getByTestId('tap-service').selectOption('catalog.default');
  await expect(page).toHaveURL(/\/tap\?service=catalog\.default/);
  await expect(page.getByTestId('tap-status')).toHaveAttribute('data-state', 'live');

  const rows = page.getByTestId('tap-row');
  await expect(rows.first()).toBeVisible({ timeout: 15_000 });
  await expect(rows.first()).toContainText('frontend');
  await expect(rows.first()).toContainText('/products');

  // More keep arriving: the newest row changes and the measured rate is above zero.
  const newest = await rows.first().textContent();
  await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).not.toBe(newest);
  await expect.poll(async () => Number(await page.getByTestId('tap-rate').locator('.stat-value').textContent()), { timeout: 10_000 }).toBeGreaterThan(0);

  await screenshot(page, 'tap');

  // Pause stops the stream; resume starts it again, and new rows arrive.
  await page.getByTestId('tap-toggle').click();
  await expect(page.getByTestId('tap-status')).toHaveAttribute('data-state', 'paused');
  await page.getByTestId('tap-toggle').click();
  await expect(page.getByTestId('tap-status')).toHaveAttribute('data-state', 'live');
  const afterResume = await rows.first().textContent();
  await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).not.toBe(afterResume);
});
