import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { clickGraphElement, drawnGraph, parseEdgeLabel } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

// Issue 12.1: the demo's payments answers 503 to about 5 % of tries and cart's retry policy hides them
// from callers. The graph, the edge panel and the table show both figures: what callers got (100 %) and
// every try before retries (about 95 %), and they agree with the API. The exact 100 % and 95 % through real
// proxies are held by apps/proxy/test/actual-success-graph.test.ts; here the figures drawn are the API's.

const EDGE = 'cart.default->payments.default';
/** Five minutes: hundreds of tries, so the actual rate moves little between the API's reading and the page's. */
const WINDOW = 300;

interface Stats {
  successRate: number | null;
  actualSuccessRate: number | null;
}
const apiGraph = () => query<{ nodes: { id: string; inbound: Stats | null }[]; edges: { id: string; stats: Stats }[] }>('graph.get', { windowSeconds: WINDOW, routes: false });
const apiEdge = async () => (await apiGraph()).edges.find((e) => e.id === EDGE)?.stats;
const pct = (text: string | null | undefined) => Number(/([\d.]+)%/.exec(text ?? '')?.[1] ?? NaN);

test('retries hide payments failures from callers: label, edge panel and table show 100 % and the rate before retries', async ({ page }) => {
  test.setTimeout(240_000); // a busy 2-core machine: the first graph can take a while
  await page.goto(`/graph?window=${WINDOW}`);
  // Wait until a failed try has happened in the window (the demo has been up a few seconds at least).
  const label = async () => parseEdgeLabel((await drawnGraph(page)).edges.find((e) => e.id === EDGE)?.label ?? '');
  await expect.poll(async () => (await label()).beforeRetries, { timeout: 60_000, message: 'the cart → payments label says how many tries succeeded' }).not.toBeNull();

  // The label says what the API says: what callers got, and the lower rate of every try (the demo's
  // payments fails about 5 % of tries; on a busy machine a few requests also run out of retries or time).
  const drawn = await label();
  const api = await apiEdge();
  expect(Math.abs((drawn.success ?? 0) - (api?.successRate ?? 0) * 100), 'label vs API, what callers got (pp)').toBeLessThanOrEqual(0.6);
  expect(Math.abs((drawn.beforeRetries ?? 0) - (api?.actualSuccessRate ?? 0) * 100), 'label vs API, before retries (pp)').toBeLessThanOrEqual(0.6);
  expect(drawn.beforeRetries, 'retries hid failures: the rate before them is lower').toBeLessThan((drawn.success ?? 0) - 1);
  // Coloured by the worse of the two: amber or red, not green.
  const health = await page.evaluate((id) => (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.getElementById(id).data('health') as string, EDGE);
  expect(['degraded', 'failing']).toContain(health);

  // The edge panel: "Success 100%" with "… before retries" under it.
  await clickGraphElement(page, EDGE);
  const success = page.getByTestId('edge-panel').getByTestId('edge-stat-success');
  await expect(success).toContainText('before retries');
  expect(Math.abs(pct(await success.locator('.stat-value').textContent()) - ((await apiEdge())?.successRate ?? 0) * 100), 'panel vs API, what callers got (pp)').toBeLessThanOrEqual(0.6);
  const panelBefore = pct(await success.locator('.stat-hint').textContent());
  expect(Math.abs(panelBefore - ((await apiEdge())?.actualSuccessRate ?? 0) * 100), 'panel vs API (pp)').toBeLessThanOrEqual(0.6);
  // Issue 12.10: payments has no named route; its catch-all is not called "default" (the namespace's name).
  await expect(page.getByTestId('edge-panel').getByTestId('edge-routes').locator('tbody td').first()).toHaveText('any path (no route)');
  await screenshot(page, 'graph-retries-panel');

  // The table: Success and Before retries columns, for the edge and for payments itself.
  await page.getByTestId('graph-view-table').click();
  const row = page.locator(`[data-testid="edge-row"][data-edge="${EDGE}"]`);
  expect(Math.abs(pct(await row.getByTestId('edge-row-success').textContent()) - ((await apiEdge())?.successRate ?? 0) * 100), 'table vs API, what callers got (pp)').toBeLessThanOrEqual(0.6);
  const tableBefore = pct(await row.getByTestId('edge-row-actual').textContent());
  expect(Math.abs(tableBefore - ((await apiEdge())?.actualSuccessRate ?? 0) * 100), 'table vs API (pp)').toBeLessThanOrEqual(0.6);
  const service = page.locator('[data-testid="service-row"][data-service="payments.default"]');
  const apiPayments = (await apiGraph()).nodes.find((n) => n.id === 'payments.default')?.inbound;
  expect(Math.abs(pct(await service.getByTestId('service-row-actual').textContent()) - (apiPayments?.actualSuccessRate ?? 0) * 100)).toBeLessThanOrEqual(0.6);
  await screenshot(page, 'graph-retries-table');
});
