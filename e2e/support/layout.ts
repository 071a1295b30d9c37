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

/**
 * Nothing inside a card is wider than the card: no element reaches past its sides (unless a box inside
 * the card clips it), and no box in it scrolls sideways, which hides a table's last column a few pixels
 * at a time. A box meant to scroll sideways (a code editor's long lines) says so with data-scrolls-sideways.
 */
export async function expectCardsContained(scope: Locator, what: string): Promise<void> {
  const problems = await scope.evaluate((root) => {
    const found: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
    for (const card of Array.from(root.querySelectorAll('.card'))) {
      if (!card.checkVisibility()) continue;
      const c = card.getBoundingClientRect();
      for (const el of Array.from(card.querySelectorAll('*'))) {
        if (!el.checkVisibility() || el.closest('[data-scrolls-sideways]')) continue;
        const cs = getComputedStyle(el);
        if ((cs.overflowX === 'auto' || cs.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) found.push(`${name(card)}: ${name(el)} scrolls sideways (${el.scrollWidth} px of content in ${el.clientWidth})`);
        let { left, right } = el.getBoundingClientRect();
        for (let a = el.parentElement; a && a !== card; a = a.parentElement) {
          const as = getComputedStyle(a);
          if (as.overflowX === 'visible') continue;
          const b = a.getBoundingClientRect();
          left = Math.max(left, b.left);
          right = Math.min(right, b.right);
        }
        if (right > left && (right > c.right + 1 || left < c.left - 1)) found.push(`${name(card)}: ${name(el)} reaches past the card (${Math.round(left - c.left)}..${Math.round(right - c.left)} px of ${Math.round(c.width)})`);
      }
    }
    return found;
  });
  expect(problems.slice(0, 10), `${what}: content wider than its card`).toEqual([]);
}
