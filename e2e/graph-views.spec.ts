import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { callServerless } from './support/demo.ts';
import { clickGraphElement, drawnGraph } from './support/graph.ts';
import { expectNoHorizontalScroll } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// Issue 12.7 and 12.13 on the demo, and the graph page at 1280x800 and 390x844: readable at both sizes
// (nothing scrolls sideways, the legend, status and zoom buttons do not cover one another, the toolbar
// wraps), a hover tooltip, the header's count is the table's, and a focus shows only a neighbourhood.

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** No two of the elements `selector` matches cover each other, and each ends inside the viewport's width (one reading of every box). */
async function expectApart(page: Page, selector: string): Promise<void> {
  const width = page.viewportSize()?.width ?? 0;
  const all = await page.locator(selector).evaluateAll((els) =>
    els.filter((el) => (el as HTMLElement).offsetParent !== null && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0).map((el) => ({ name: `${el.tagName.toLowerCase()}.${el.className || (el as HTMLElement).dataset.testid || ''}`, box: el.getBoundingClientRect().toJSON() as Box })),
  );
  expect(all.length, `elements matching ${selector}`).toBeGreaterThan(1);
  for (const { name, box } of all) expect(box.x + box.width, `${name} ends inside the viewport`).toBeLessThanOrEqual(width + 0.5);
  for (const [i, a] of all.entries()) for (const b of all.slice(i + 1)) expect(overlaps(a.box, b.box), `${a.name} and ${b.name} overlap`).toBe(false);
}

/** The legend covers no node drawn in the canvas (each node's box as drawn, cut to the canvas; one reading). */
async function expectLegendClearOfNodes(page: Page): Promise<void> {
  const legend = await page.getByTestId('graph-legend').boundingBox();
  const canvas = await page.getByTestId('graph-canvas').boundingBox();
  if (!legend || !canvas) throw new Error('legend or canvas not visible');
  const nodes = await page.evaluate(() => (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes().map((n) => ({ id: n.id(), ...n.renderedBoundingBox({}) })) ?? []);
  expect(nodes.length, 'nodes drawn').toBeGreaterThan(0);
  for (const n of nodes) {
    const x1 = Math.max(canvas.x, canvas.x + n.x1);
    const y1 = Math.max(canvas.y, canvas.y + n.y1);
    const x2 = Math.min(canvas.x + canvas.width, canvas.x + n.x2);
    const y2 = Math.min(canvas.y + canvas.height, canvas.y + n.y2);
    if (x2 <= x1 || y2 <= y1) continue; // outside the visible canvas
    expect(overlaps(legend, { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }), `the legend covers ${n.id}`).toBe(false);
  }
}

/** Services and labelled edges as cytoscape draws them, in canvas pixels (one reading). */
type Measured = Drawn & { labels: { id: string; x1: number; y1: number; x2: number; y2: number }[] };

async function measureDrawn(page: Page): Promise<Measured | null> {
  return page.evaluate(() => {
    const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
    if (!cy) return null;
    const body = { includeLabels: false, includeOverlays: false, includeUnderlays: false } as const;
    const mainLabel = { includeNodes: false, includeEdges: false, includeLabels: true, includeMainLabels: true, includeSourceLabels: false, includeTargetLabels: true, includeOverlays: false, includeUnderlays: false } as const;
    return {
      width: cy.width(),
      height: cy.height(),
      // Services (not namespace boxes, not a service's box around its versions).
      nodes: cy.nodes('[!box]').filter((n) => !n.isParent()).map((n) => ({ id: n.id(), ...n.renderedBoundingBox(body) })),
      // Its label where it is drawn: mid-edge, or near its target when the graph runs top to bottom.
      labels: cy.edges().filter((e) => String(e.data('label') ?? '') !== '').map((e) => ({ id: e.id(), ...e.renderedBoundingBox(mainLabel) })),
    };
  });
}

/**
 * As the graph first opens (issue 12.2): every service's box is inside the canvas, nothing cut off at
 * either side, and no edge's label (with the lock drawn just left of it) covers a service's box. Boxes
 * as cytoscape draws them, in canvas pixels; one reading once the demo's edges are all there.
 */
async function expectFittedWithLabelsClear(page: Page, size: string): Promise<void> {
  // The seventh edge is loadgen -> thumbnails, which the demo calls once a minute, and which leaves the
  // graph's 10 s window ten seconds after a call: it is called now, and again whenever a reading lacks it.
  // The reading used is one whose labels were all drawn 500 ms before as well (the fit has settled).
  await callServerless();
  const last: { reading: Measured | null } = { reading: null };
  let before = 0;
  await expect
    .poll(
      async () => {
        await page.waitForTimeout(500);
        last.reading = await measureDrawn(page);
        const now = last.reading ? last.reading.labels.filter((l) => l.x2 > l.x1).length : 0;
        if (now < 7) await callServerless();
        const settled = Math.min(before, now);
        before = now;
        return settled;
      },
      { timeout: 90_000, intervals: [0], message: "the demo's seven edges drawn with labels in two readings in a row" },
    )
    .toBeGreaterThanOrEqual(7);
  const drawn = last.reading;
  if (!drawn) throw new Error('graph not drawn');
  expect(drawn.nodes.length, 'services drawn').toBeGreaterThanOrEqual(7);
  await expectServicesInView(page, size, drawn);
  const LOCK = 21; // the lock's width and gap, left of the label (EdgeLocks)
  const covered: string[] = [];
  for (const l of drawn.labels) {
    const label = { x: l.x1 - LOCK, y: l.y1, width: l.x2 - l.x1 + LOCK, height: l.y2 - l.y1 };
    for (const n of drawn.nodes) if (overlaps(label, { x: n.x1, y: n.y1, width: n.x2 - n.x1, height: n.y2 - n.y1 })) covered.push(`${l.id}'s label over ${n.id}`);
  }
  expect(covered, `edge labels over services at ${size}`).toEqual([]);
}

type Drawn = { width: number; height: number; nodes: { id: string; x1: number; y1: number; x2: number; y2: number }[] };

/**
 * Every service's box inside the canvas, and none under the live status, the counts or the zoom buttons
 * (boxes as cytoscape draws them, in canvas pixels; one reading of `drawn`, or of the page now).
 */
async function expectServicesInView(page: Page, size: string, drawn?: Drawn): Promise<void> {
  drawn ??=
    (await page.evaluate(() => {
      const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
      if (!cy) return undefined;
      const body = { includeLabels: false, includeOverlays: false, includeUnderlays: false } as const;
      return { width: cy.width(), height: cy.height(), nodes: cy.nodes('[!box]').filter((n) => !n.isParent()).map((n) => ({ id: n.id(), ...n.renderedBoundingBox(body) })) };
    })) ?? undefined;
  if (!drawn) throw new Error('graph not drawn');
  const { width, height, nodes } = drawn;
  expect(nodes.length, 'services drawn').toBeGreaterThanOrEqual(7);
  const cut = nodes.filter((n) => n.x1 < 0 || n.y1 < 0 || n.x2 > width || n.y2 > height).map((n) => `${n.id} [${Math.round(n.x1)},${Math.round(n.y1)}..${Math.round(n.x2)},${Math.round(n.y2)}]`);
  expect(cut, `services cut off at ${size} (canvas ${width}x${height})`).toEqual([]);
  // Inside the canvas is not enough if the live status, the counts or the zoom buttons sit on top of a service.
  const canvas = await page.getByTestId('graph-canvas').boundingBox();
  if (!canvas) throw new Error('graph canvas not visible');
  const chrome = await page.locator('.graph-status > *, .graph-controls > *').evaluateAll((els) => els.map((el) => ({ name: el.className || el.tagName, box: el.getBoundingClientRect().toJSON() as Box })));
  const under: string[] = [];
  for (const c of chrome) for (const n of nodes) if (overlaps(c.box, { x: canvas.x + n.x1, y: canvas.y + n.y1, width: n.x2 - n.x1, height: n.y2 - n.y1 })) under.push(`${n.id} under ${c.name}`);
  expect(under, `services under the graph's buttons at ${size}`).toEqual([]);
}

const FIRST_OPEN = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
  { width: 360, height: 800 },
] as const;

for (const size of FIRST_OPEN) {
  test(`graph opens at ${size.width}x${size.height} with every service in view and no edge label over a service`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(size);
    await page.goto('/graph');
    await expect.poll(async () => (await drawnGraph(page)).nodes.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(7);
    try {
      await expectFittedWithLabelsClear(page, `${size.width}x${size.height}`);
    } finally {
      await screenshot(page, `graph-first-${size.width}`);
    }
  });
}

async function expectReadable(page: Page, size: string): Promise<void> {
  await expect.poll(async () => (await drawnGraph(page)).nodes.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(7);
  await expectNoHorizontalScroll(page);
  await expectApart(page, '.graph-legend, .graph-controls, .graph-status > *');
  await expectLegendClearOfNodes(page);
  // The toolbar wraps: its controls sit side by side or on new rows, never on top of each other.
  await expectApart(page, '.graph-toolbar > *');
  const canvas = await page.getByTestId('graph-canvas').boundingBox();
  expect(canvas?.height ?? 0, 'the graph gets most of the height').toBeGreaterThan((page.viewportSize()?.height ?? 0) * 0.45);
  await screenshot(page, `graph-${size}`);
}

test('graph page: readable at 1280x800 and 390x844; tooltip; header count = table count; focus on a neighbourhood', async ({ page }) => {
  test.setTimeout(240_000); // a busy 2-core machine: the first graph can take a while
  await page.goto('/graph');
  await expectReadable(page, '1280');

  // Hover: the edge's figures spelled out.
  const mid = await page.evaluate(() => (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.getElementById('cart.default->payments.default').renderedMidpoint() ?? null);
  const canvas = await page.getByTestId('graph-canvas').boundingBox();
  if (!mid || !canvas) throw new Error('edge cart -> payments not drawn');
  await page.mouse.move(canvas.x + mid.x, canvas.y + mid.y);
  await expect(page.getByTestId('graph-tooltip')).toContainText('cart.default → payments.default');
  await expect(page.getByTestId('graph-tooltip')).toContainText('rps · success');

  // Focus on cart: only cart, its caller and its callee; two hops add the caller's neighbours. With its
  // panel open (the canvas narrower), the legend covers no node (issue 12.2's check, at 1280x800).
  await clickGraphElement(page, 'cart.default');
  await expect(page.getByTestId('node-panel')).toBeVisible();
  await page.waitForTimeout(300); // the canvas re-fits after the panel's resize
  await expectLegendClearOfNodes(page);
  await screenshot(page, 'graph-1280-panel');
  await page.getByTestId('graph-focus-selected').click();
  await expect.poll(async () => (await drawnGraph(page)).nodes.sort()).toEqual(['cart.default', 'frontend.default', 'payments.default']);
  await page.getByTestId('graph-hops-2').click();
  await expect.poll(async () => (await drawnGraph(page)).nodes.sort()).toEqual(['cart.default', 'catalog.default', 'frontend.default', 'loadgen.default', 'payments.default', 'reviews.default']);
  await page.getByTestId('graph-focus-clear').click();
  await expect.poll(async () => (await drawnGraph(page)).nodes.length).toBeGreaterThanOrEqual(7);

  // The header's service count is the table's.
  const header = Number(/(\d+) services/.exec((await page.getByTestId('graph-summary').textContent()) ?? '')?.[1]);
  await page.getByTestId('graph-view-table').click();
  await expect(page.getByTestId('service-row')).toHaveCount(header);
  await page.getByTestId('graph-view-graph').click();

  await page.setViewportSize({ width: 390, height: 844 });
  // A phone: the open panel goes under the graph rather than beside it (440 px would scroll sideways).
  await expectNoHorizontalScroll(page);
  // The canvas shorter above the panel: the graph fitted into it again, every service in view, none under the live status.
  await page.waitForTimeout(500); // the layout for the new shape and its fit
  try {
    await expectServicesInView(page, '390x844 with a panel open');
  } finally {
    await screenshot(page, 'graph-390-panel');
  }
  await page.getByTestId('panel-close').click();
  await expectReadable(page, '390');
  // The window made phone-narrow: laid out again top to bottom, every service in view.
  await expectFittedWithLabelsClear(page, '390x844 after a resize from 1280x800');
});
