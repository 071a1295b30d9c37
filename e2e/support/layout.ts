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

/** No two of these elements (visible ones) overlap: a toolbar's controls, a header's parts. */
export async function expectNoOverlap(items: Locator, what: string): Promise<void> {
  const boxes = await items.evaluateAll((els) =>
    els
      .map((el) => ({ r: el.getBoundingClientRect(), name: (el.getAttribute('data-testid') ?? el.textContent ?? el.tagName).trim().slice(0, 40) }))
      .filter(({ r }) => r.width > 0 && r.height > 0)
      .map(({ r, name }) => ({ x: r.x, y: r.y, w: r.width, h: r.height, name })),
  );
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const overlapX = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const overlapY = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      expect(overlapX > 1 && overlapY > 1, `${what}: "${a.name}" and "${b.name}" overlap`).toBe(false);
    }
  }
}
