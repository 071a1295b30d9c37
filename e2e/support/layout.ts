import { expect, type Locator, type Page } from '@playwright/test';

/** The page fits the viewport's width: nothing makes the document scroll sideways. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, width } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scrollWidth, 'document width (a wider document scrolls sideways)').toBeLessThanOrEqual(width);
}

/**
 * Blocks stacked down the page (cards, form sections) sit inside the viewport's width and never cover
 * one another: each starts below where the one above it ends.
 */
export async function expectStackedWithin(page: Page, blocks: Locator): Promise<void> {
  const width = await page.evaluate(() => window.innerWidth);
  const boxes = (await blocks.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number }))).sort((a, b) => a.y - b.y);
  expect(boxes.length, 'blocks to check').toBeGreaterThan(0);
  for (const [i, box] of boxes.entries()) {
    expect(box.x, `block ${i} starts inside the viewport`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `block ${i} ends inside the viewport`).toBeLessThanOrEqual(width + 0.5);
    const above = boxes[i - 1];
    if (above) expect(box.y, `block ${i} starts below block ${i - 1}`).toBeGreaterThanOrEqual(above.y + above.height - 0.5);
  }
}
