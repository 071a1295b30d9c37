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
 * No text in `scope` is drawn over other text: each text's lines as drawn (cut to the boxes that clip
 * them, so an ellipsis counts as the end), compared pairwise. Boxes side by side can still run their
 * words into each other (a span name spilling over its duration), which comparing the boxes misses.
 */
export async function expectTextApart(scope: Locator, what: string): Promise<void> {
  const overlaps = await scope.evaluate((root) => {
    const clipOf = (el: Element | null): { x1: number; y1: number; x2: number; y2: number } => {
      const r = { x1: -Infinity, y1: -Infinity, x2: Infinity, y2: Infinity };
      for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
        const b = a.getBoundingClientRect();
        Object.assign(r, { x1: Math.max(r.x1, b.left), y1: Math.max(r.y1, b.top), x2: Math.min(r.x2, b.right), y2: Math.min(r.y2, b.bottom) });
      }
      return r;
    };
    // A bar that stays in view as the page scrolls (a sticky editor footer, the table's header) is drawn
    // over what passes under it, on purpose: text is compared with text of its own layer only.
    const layerOf = (el: Element): Element | null => {
      for (let a: Element | null = el; a && a !== root; a = a.parentElement) if (['sticky', 'fixed'].includes(getComputedStyle(a).position)) return a;
      return null;
    };
    const texts: { text: string; layer: Element | null; rects: { x1: number; y1: number; x2: number; y2: number }[] }[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent?.trim() ?? '';
      if (!text || !el || el.closest('svg') || !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const clip = clipOf(el);
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = Array.from(range.getClientRects())
        .map((r) => ({ x1: Math.max(r.left, clip.x1), y1: Math.max(r.top, clip.y1), x2: Math.min(r.right, clip.x2), y2: Math.min(r.bottom, clip.y2) }))
        .filter((r) => r.x2 - r.x1 > 1 && r.y2 - r.y1 > 1);
      if (rects.length) texts.push({ text: text.slice(0, 40), layer: layerOf(el), rects });
    }
    // A few pixels of slack: the lines of one paragraph may touch, and glyphs' boxes overhang a little.
    const SLACK = 3;
    const found: string[] = [];
    for (const [i, a] of texts.entries())
      for (const b of texts.slice(i + 1))
        if (a.layer === b.layer && a.rects.some((p) => b.rects.some((q) => Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1) > SLACK && Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1) > SLACK))) found.push(`"${a.text}" / "${b.text}"`);
    return found;
  });
  expect(overlaps.slice(0, 10), `${what}: texts drawn over each other`).toEqual([]);
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
