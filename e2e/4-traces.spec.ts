import { expect, test } from './support/test.ts';
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

  // Selecting a client span (a proxy calling the next service) shows its attributes, the upstream among them.
  // The trace starts at the load generator's sidecar, so which row is the first client span is not fixed.
  await waterfall.getByTestId('span-row').filter({ has: page.locator('.kind-client') }).first().click();
  await expect(page.getByTestId('span-details')).toContainText('upstream.endpoint');
  await screenshot(page, '4-trace');
});
