import { test } from './support/test.ts';
import { getResource, restore } from './support/api.ts';
import { clickGraphElement, drawnGraph, parseEdgeLabel } from './support/graph.ts';
import { screenshot } from './support/shots.ts';
import { expect } from './support/expect.ts';

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
    await expect(canary.getByText('saved', { exact: true })).toBeVisible();
    const savedAt = Date.now();

    // Within 15 s of the save, one reading of the split measured on the graph's edge is 50 ± 10 %: both
    // bounds on the same reading. The edge measures the last 10 s, so the share climbs from 10 % over
    // several live updates (about one a second); the poll reads it every half second until one is in range.
    const readings: (number | undefined)[] = [];
    try {
      await expect
        .poll(
          async () => {
            const v2 = await measuredV2(page);
            readings.push(v2);
            return v2;
          },
          { timeout: Math.max(1, 15_000 - (Date.now() - savedAt)), intervals: [500], message: 'v2 share measured on the graph, 40..60 %, within 15 s of the save' },
        )
        .toBeBetween(40, 60);
    } catch (err) {
      (err as Error).message += `\nreadings of v2 (%), every 0.5 s: ${readings.join(', ')}`;
      throw err;
    }
    await expect(canary.getByTestId('canary-measured-v2')).toContainText(/v2 (4\d|5\d|60)%/);
    await screenshot(page, '2-canary-50');

    // And back.
    await canary.getByTestId('canary-preset-10').click();
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');
    await expect(canary.getByText('saved', { exact: true })).toBeVisible();
  } finally {
    const now = await getResource('TrafficSplit', 'reviews');
    if (JSON.stringify(now.spec) !== JSON.stringify(original.spec)) await restore(original, 'e2e: put the canary back to 90/10');
  }
});
