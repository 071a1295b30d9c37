import { expect, test } from '@playwright/test';
import { getResource, restore } from './support/api.ts';
import { clickGraphElement, drawnGraph, parseEdgeLabel } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

const EDGE = 'frontend.default->reviews.default';

async function measuredV2(page: import('@playwright/test').Page): Promise<number | undefined> {
  const edge = (await drawnGraph(page)).edges.find((e) => e.id === EDGE);
  return edge ? parseEdgeLabel(edge.label).shares.v2 : undefined;
}

test('click-to-shift: the reviews canary moves to 50 % and the graph measures it', async ({ page }) => {
  const original = await getResource('TrafficSplit', 'reviews');
  try {
    await page.goto('/graph');
    await clickGraphElement(page, 'reviews.default');
    const panel = page.getByTestId('node-panel');
    await expect(panel).toBeVisible();
    const canary = panel.getByTestId('canary-default-reviews');
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');

    await canary.getByTestId('canary-preset-50').click();
    await expect(canary.getByTestId('canary-weight')).toHaveText('50%');
    await expect(canary.getByText('saved')).toBeVisible();

    // Within 15 s the split measured on the graph's edge is 50 ± 10 %.
    await expect.poll(() => measuredV2(page), { timeout: 15_000, intervals: [1000] }).toBeGreaterThanOrEqual(40);
    await expect.poll(() => measuredV2(page), { timeout: 5_000, intervals: [500] }).toBeLessThanOrEqual(60);
    await expect(canary.getByTestId('canary-measured-v2')).toContainText(/v2 (4\d|5\d|60)%/);
    await screenshot(page, '2-canary-50');

    // And back.
    await canary.getByTestId('canary-preset-10').click();
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');
    await expect(canary.getByText('saved')).toBeVisible();
  } finally {
    const now = await getResource('TrafficSplit', 'reviews');
    if (JSON.stringify(now.spec) !== JSON.stringify(original.spec)) await restore(original, 'e2e: put the canary back to 90/10');
  }
});
