import { expect, test } from './support/test.ts';
import { getResource, query, restore } from './support/api.ts';
import { expectNoHorizontalScroll } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// Issue 12.8: dragging the canary slider wrote a revision per step (5 in 25 s), and "Roll back" set the
// canary to 0 % at once, while elsewhere a rollback restores a revision. Now a drag is one revision, saved
// when the hand lets go (even after resting mid-drag), and "Send all to v1" asks first. Issue 12.9: /canary
// hydrated with React error #418 in about one load of three (support/test.ts fails on any). Issue 12.11: a
// save's toast links to its revision, as the policy editors' do.

const revisions = async () => (await query<unknown[]>('resources.history', { kind: 'TrafficSplit', name: 'reviews', namespace: 'default' })).length;
const weights = async () => ((await getResource('TrafficSplit', 'reviews')).spec.backends as { weight: number }[]).map((b) => b.weight);

test('canary: ten loads without a page error; a slider drag saves one revision, with a toast linking to it; "Send all to v1" confirms first; fits 1280 and 390 px', async ({ page }) => {
  const original = await getResource('TrafficSplit', 'reviews');
  try {
    await page.goto('/canary');
    const canary = page.getByTestId('canary-default-reviews');
    await expect(canary.getByTestId('canary-weight')).toHaveText('10%');
    // Ten more loads, each until the card shows its saved split (hydrated, data in): no hydration error in any.
    for (let i = 0; i < 10; i++) {
      await page.reload();
      await expect(canary.getByText('saved', { exact: true })).toBeVisible();
    }
    const before = await revisions();

    // Drag from 10 % to about 40 % in small steps, resting a second and a half half-way, as a hand does.
    const box = await canary.getByTestId('canary-slider').boundingBox();
    if (!box) throw new Error('slider not visible');
    const at = (pct: number) => box.x + 8 + ((box.width - 16) * pct) / 100;
    const y = box.y + box.height / 2;
    await page.mouse.move(at(10), y);
    await page.mouse.down();
    for (let p = 12; p <= 25; p += 1) await page.mouse.move(at(p), y, { steps: 2 });
    await page.waitForTimeout(1500); // a rest longer than the keyboard's settle time: still one drag
    for (let p = 26; p <= 40; p += 1) await page.mouse.move(at(p), y, { steps: 2 });
    await page.mouse.up();
    const shown = Number((await canary.getByTestId('canary-weight').textContent())?.replace('%', ''));
    expect(shown).toBeGreaterThanOrEqual(35);
    expect(shown).toBeLessThanOrEqual(45);
    await expect(canary.getByText('saved', { exact: true })).toBeVisible();
    await expect.poll(weights).toEqual([100 - shown, shown]);
    // The save's toast says what changed and links to that revision in the split's history.
    const revision = (await getResource('TrafficSplit', 'reviews')).metadata.resourceVersion;
    const saveToast = page.getByTestId('toast').filter({ hasText: `v2 now gets ${shown}% of reviews` });
    await expect(saveToast.getByTestId('toast-link')).toHaveText(`See revision ${revision}`);
    await expect(saveToast.getByTestId('toast-link')).toHaveAttribute('href', `/policies/TrafficSplit/default/reviews?tab=history&revision=${revision}`);
    // Exactly one new revision, and no late save after it.
    await page.waitForTimeout(1500);
    expect(await revisions()).toBe(before + 1);

    // "Send all to v1" says what it does and saves only when confirmed.
    await canary.getByTestId('canary-all-stable').click();
    const dialog = page.getByTestId('canary-confirm');
    await expect(dialog).toContainText('Send all traffic to v1?');
    await expect(dialog).toContainText(`${100 - shown}% to v1`);
    await dialog.getByTestId('canary-confirm-cancel').click();
    await expect(dialog).toBeHidden();
    expect(await weights()).toEqual([100 - shown, shown]);
    await canary.getByTestId('canary-all-stable').click();
    await page.getByTestId('canary-confirm-ok').click();
    await expect(canary.getByTestId('canary-weight')).toHaveText('0%');
    await expect.poll(weights).toEqual([100, 0]);
    expect(await revisions()).toBe(before + 2);
    await screenshot(page, 'canary-1280');

    // A phone: the card fits, nothing scrolls sideways, the buttons wrap inside the card.
    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalScroll(page);
    const card = await page.locator('.canary-card', { has: canary }).boundingBox();
    for (const id of ['canary-slider', 'canary-all-stable', 'canary-promote', 'canary-preset-100']) {
      const b = await canary.getByTestId(id).boundingBox();
      expect(b && card && b.x >= card.x && b.x + b.width <= card.x + card.width + 0.5, `${id} inside the card`).toBe(true);
    }
    await screenshot(page, 'canary-390');
  } finally {
    const now = await getResource('TrafficSplit', 'reviews');
    if (JSON.stringify(now.spec) !== JSON.stringify(original.spec)) await restore(original, 'e2e: put the canary back to 90/10');
  }
});
