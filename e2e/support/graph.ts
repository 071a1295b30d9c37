import { expect, type Page } from '@playwright/test';

/** What the graph page draws, read from its cytoscape instance (the page exposes it for tests). */
export interface DrawnEdge {
  id: string;
  label: string;
}

export async function drawnGraph(page: Page): Promise<{ nodes: string[]; edges: DrawnEdge[] }> {
  return page.evaluate(() => {
    const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
    if (!cy) return { nodes: [], edges: [] };
    return {
      nodes: cy.nodes().map((n) => n.id()),
      // An edge without a label reads as '' (String(undefined) would read as text).
      edges: cy.edges().map((e) => ({ id: e.id(), label: String(e.data('label') ?? '') })),
    };
  });
}

/**
 * "19 rps · 100% · p99 48ms\n95.2% before retries\nv1 50% · v2 50%" -> its numbers (the second and third
 * lines are there only when retries hid failures and when more than one version served the edge).
 */
export function parseEdgeLabel(label: string): { rps: number; success: number | null; beforeRetries: number | null; shares: Record<string, number> } {
  const [main = '', ...rest] = label.split('\n');
  const rpsText = /^([\d.]+)(k?) rps/.exec(main);
  const rps = rpsText ? Number(rpsText[1]) * (rpsText[2] ? 1000 : 1) : 0;
  const successText = / · ([\d.]+)% · /.exec(main);
  const retriesLine = rest.find((line) => line.endsWith('before retries'));
  const beforeRetries = retriesLine ? Number(/^([\d.]+)%/.exec(retriesLine)?.[1] ?? NaN) : null;
  const shares: Record<string, number> = {};
  for (const line of rest) if (line !== retriesLine) for (const m of line.matchAll(/(\S+) (\d+)%/g)) if (m[1] && m[2]) shares[m[1]] = Number(m[2]);
  return { rps, success: successText ? Number(successText[1]) : null, beforeRetries, shares };
}

/** Clicks a node or an edge where it is drawn, as a person would (centering it first). */
export async function clickGraphElement(page: Page, id: string): Promise<void> {
  await expect.poll(async () => (await drawnGraph(page)).nodes.length, { message: 'graph drawn' }).toBeGreaterThan(0);
  const point = await page.evaluate((elementId) => {
    const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
    const el = cy?.getElementById(elementId);
    if (!cy || !el || el.empty()) return null;
    cy.center(el);
    return el.isNode() ? el.renderedPosition() : (el as unknown as import('cytoscape').EdgeSingular).renderedMidpoint();
  }, id);
  if (!point) throw new Error(`${id} is not on the graph`);
  const box = await page.getByTestId('graph-canvas').boundingBox();
  if (!box) throw new Error('graph canvas not visible');
  await page.mouse.click(box.x + point.x, box.y + point.y);
}
