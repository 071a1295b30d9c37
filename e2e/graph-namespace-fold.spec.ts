import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { mutate } from './support/api.ts';
import { clickGraphElement, drawnGraph } from './support/graph.ts';

// Issue 12.13: an unfolded namespace is a box around its services, and a double click inside the box folds
// it. Lines are drawn above the boxes and take the clicks where they cross one (at 500 services, about two
// thirds of a box's area), so the double click here lands on a line inside the demo's box: before the fix it
// opened that line's panel and folded nothing.

/** A second namespace, so the demo's services are drawn in a box (one namespace draws no boxes). */
const OTHER = { name: 'ledger', namespace: 'e2e-fold' };

/** The middle of a line between two services of `box`, where neither service is, in page coordinates. */
async function lineInside(page: Page, box: string): Promise<{ x: number; y: number; edge: string }> {
  const canvas = await page.getByTestId('graph-canvas').boundingBox();
  if (!canvas) throw new Error('graph canvas not visible');
  const found = await page.evaluate(
    ({ box, canvas }) => {
      const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
      if (!cy) return null;
      const services = cy.nodes('[!box]').map((n) => n.renderedBoundingBox({ includeLabels: false }));
      for (const e of cy.edges()) {
        if (e.source().data('parent') !== box || e.target().data('parent') !== box) continue;
        const m = e.renderedMidpoint();
        if (services.some((b) => m.x > b.x1 - 6 && m.x < b.x2 + 6 && m.y > b.y1 - 6 && m.y < b.y2 + 6)) continue;
        // Nothing of the page's own (an edge's lock, a badge) over that point: the click goes to the drawing.
        if (document.elementFromPoint(canvas.x + m.x, canvas.y + m.y)?.tagName !== 'CANVAS') continue;
        return { x: canvas.x + m.x, y: canvas.y + m.y, edge: e.id() };
      }
      return null;
    },
    { box, canvas },
  );
  if (!found) throw new Error(`no line inside ${box} to double-click`);
  return found;
}

test.describe('namespace boxes', () => {
  test.beforeAll(async () => {
    await mutate('resources.upsert', { resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: OTHER, spec: {} } });
  });
  test.afterAll(async () => {
    await mutate('resources.delete', { kind: 'Service', ...OTHER, note: 'e2e: clean up' }).catch(() => undefined);
  });

  test('a double click inside a box folds it, even on a line crossing it; a click unfolds it', async ({ page }) => {
    await page.goto('/graph');
    await expect.poll(async () => (await drawnGraph(page)).nodes, { timeout: 60_000 }).toEqual(expect.arrayContaining(['box:default', `box:${OTHER.namespace}`, 'frontend.default']));
    await page.waitForTimeout(500); // the first frame drawn (cytoscape hit-tests what it drew)

    const line = await lineInside(page, 'box:default');
    await page.mouse.dblclick(line.x, line.y);
    await expect.poll(async () => (await drawnGraph(page)).nodes, { message: `folded after a double click on ${line.edge}` }).toContain('namespace:default');
    expect((await drawnGraph(page)).nodes).not.toContain('box:default');
    await expect(page).toHaveURL(/[?&]fold=default(&|$)/);
    // The line's panel did not open on the way (the first click waits to see whether a second follows).
    await expect(page.getByTestId('edge-panel')).toBeHidden();

    // A click on the folded namespace unfolds it, in its box again.
    await clickGraphElement(page, 'namespace:default');
    const unfoldedAt = Date.now();
    await expect.poll(async () => (await drawnGraph(page)).nodes).toContain('box:default');
    expect((await drawnGraph(page)).nodes).not.toContain('namespace:default');
    // A person sees the box drawn before double-clicking in it. Cytoscape pairs any two clicks less than
    // 250 ms apart (multiClickDebounceTime), wherever they land: the double click's first click, sent as
    // soon as the box was drawn (about 200 ms after this click), was taken as this click's second and the
    // double click's second click as a new first one, so nothing folded (1 run in 8).
    await page.waitForTimeout(Math.max(0, unfoldedAt + 400 - Date.now()));

    // Folded again, a double click on it unfolds it and leaves it so: the second click, which lands in
    // the box the first one drew, does not count as a double click inside that box.
    const again = await lineInside(page, 'box:default');
    await page.mouse.dblclick(again.x, again.y);
    await expect.poll(async () => (await drawnGraph(page)).nodes).toContain('namespace:default');
    await page.waitForTimeout(500);
    const folded = await page.evaluate(() => (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.getElementById('namespace:default').renderedPosition() ?? null);
    const canvas = await page.getByTestId('graph-canvas').boundingBox();
    if (!folded || !canvas) throw new Error('namespace:default not drawn');
    await page.mouse.dblclick(canvas.x + folded.x, canvas.y + folded.y);
    await expect.poll(async () => (await drawnGraph(page)).nodes).toContain('box:default');
    await page.waitForTimeout(1000);
    expect((await drawnGraph(page)).nodes, 'still unfolded a second later').toContain('box:default');
  });
});
