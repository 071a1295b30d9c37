import { expect, test } from '@playwright/test';
import { clickGraphElement } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

test('trace drill-down: from an edge to a waterfall with spans from three services', async ({ page }) => {
  await page.goto('/graph');
  await clickGraphElement(page, 'frontend.default->cart.default');
  const panel = page.getByTestId('edge-panel');
  await expect(panel).toBeVisible();

  // A trace that went through at least three services (the newest may still be arriving).
  const link = panel.getByTestId('edge-trace-link').filter({ hasText: /· ([3-9]|\d\d) services ·/ }).first();
  await expect(link).toBeVisible({ timeout: 30_000 });
  await link.click();

  await expect(page).toHaveURL(/\/traces\/[0-9a-f]{32}$/);
  const waterfall = page.getByTestId('waterfall');
  await expect(waterfall).toBeVisible();
  await expect
    .poll(async () => new Set(await waterfall.getByTestId('span-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')))).size)
    .toBeGreaterThanOrEqual(3);

  // Selecting a span shows its attributes: a call one proxy made to another names the endpoint it used
  // (the first such span is the load generator's call into frontend, or frontend's own calls).
  const rows = waterfall.getByTestId('span-row');
  const details = page.getByTestId('span-details');
  let shown = false;
  for (let i = 0; i < Math.min(4, await rows.count()) && !shown; i++) {
    await rows.nth(i).click();
    shown = await expect(details).toContainText('upstream.endpoint', { timeout: 2000 }).then(
      () => true,
      () => false,
    );
  }
  await expect(details).toContainText('upstream.endpoint');
  await screenshot(page, '4-trace');
});
