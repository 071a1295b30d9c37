import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { getResource, restore } from './support/api.ts';
import { screenshot } from './support/shots.ts';

/** Presses Tab (or Shift+Tab) until `target` has the focus, as someone without a mouse would. */
async function tabTo(page: Page, target: Locator, { back = false, max = 40 } = {}): Promise<number> {
  for (let presses = 0; presses <= max; presses++) {
    if (await target.evaluate((el) => el === document.activeElement)) return presses;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`not reached with ${max} presses of ${back ? 'Shift+Tab' : 'Tab'}`);
}

const canaryWeight = async () => (await getResource('TrafficSplit', 'reviews')).spec.backends as { name: string; weight: number }[];

test('keyboard: the canary slider, presets and their saves work with Tab, arrows and Enter', async ({ page }) => {
  const original = await getResource('TrafficSplit', 'reviews');
  try {
    await page.goto('/canary');
    const canary = page.getByTestId('canary-default-reviews');
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');
    const saved = canary.getByText('saved', { exact: true });
    await expect(saved).toBeVisible();

    // From the top of the page, Tab reaches the 25 % preset; Enter saves it at once.
    await page.locator('body').focus();
    const preset25 = canary.getByTestId('canary-preset-25');
    await tabTo(page, preset25);
    await expect(preset25).toBeFocused();
    await screenshot(page, 'keyboard-canary-focus');
    await page.keyboard.press('Enter');
    await expect(canary.getByTestId('canary-weight')).toHaveText('25%');
    await expect(saved).toBeVisible();
    await expect(preset25).toHaveAttribute('aria-pressed', 'true');
    expect((await canaryWeight()).map((b) => b.weight)).toEqual([75, 25]);

    // Back to the slider: arrow keys move it, and it saves once it stops moving.
    const slider = canary.getByTestId('canary-slider');
    await tabTo(page, slider, { back: true });
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await expect(canary.getByTestId('canary-weight')).toHaveText('30%');
    await expect(saved).toBeVisible();
    expect((await canaryWeight()).map((b) => b.weight)).toEqual([70, 30]);

    // Forward to the 10 % preset; Space works as well as Enter.
    const preset10 = canary.getByTestId('canary-preset-10');
    await tabTo(page, preset10);
    await page.keyboard.press('Space');
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');
    await expect(saved).toBeVisible();
    expect((await canaryWeight()).map((b) => b.weight)).toEqual([90, 10]);
  } finally {
    const now = await getResource('TrafficSplit', 'reviews');
    if (JSON.stringify(now.spec) !== JSON.stringify(original.spec)) await restore(original, 'e2e: put the canary back to 90/10');
  }
});
