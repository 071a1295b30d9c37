import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { clickGraphElement } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

// The demo's traffic enters through the meshed load generator, so every hop is proxy to proxy.
const DEMO_EDGES = [
  'loadgen.default->frontend.default',
  'frontend.default->catalog.default',
  'frontend.default->cart.default',
  'frontend.default->reviews.default',
  'reviews.default->ratings.default',
  'cart.default->payments.default',
];

interface GraphApi {
  edges: { id: string; stats: { rps: number; mtlsShare: number | null } }[];
}

const identity = (trustDomain: string, service: string) => `spiffe://${trustDomain}/ns/default/sa/${service}`;

/** How the graph draws an edge's line (dashed for plain HTTP), read from its cytoscape instance. */
async function lineStyle(page: Page, id: string): Promise<string | null> {
  return page.evaluate((edgeId) => {
    const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
    const edge = cy?.getElementById(edgeId);
    return edge && edge.nonempty() ? String(edge.style('line-style')) : null;
  }, id);
}

test('graph: every demo edge is locked (mutual TLS), and panels show the identity on each side', async ({ page }) => {
  const { trustDomain } = await query<{ trustDomain: string }>('identity.overview');
  // What the proxies reported: every request on every demo edge went over mutual TLS.
  await expect
    .poll(async () => {
      const graph = await query<GraphApi>('graph.get', { windowSeconds: 10, routes: false });
      return DEMO_EDGES.filter((id) => graph.edges.find((e) => e.id === id)?.stats.mtlsShare !== 1);
    }, { message: 'demo edges the API does not report as all mutual TLS' })
    .toEqual([]);

  await page.goto('/graph');
  // Each demo edge wears a lock named "mutual TLS", and its line is solid (plain edges are dashed).
  for (const id of DEMO_EDGES) {
    const lock = page.getByTestId(`edge-lock-${id}`);
    await expect(lock, `${id} has a lock`).toBeVisible();
    await expect(lock).toHaveAttribute('data-tls', 'mtls');
    await expect(lock).toHaveAccessibleName('mutual TLS');
    expect(await lineStyle(page, id), `${id} drawn solid`).toBe('solid');
  }
  await expect(page.getByRole('img', { name: 'mutual TLS' })).toHaveCount(DEMO_EDGES.length);
  await expect(page.getByRole('img', { name: /plain HTTP/ })).toHaveCount(0);
  await expect(page.getByTestId('legend-mtls')).toContainText('mutual TLS');
  await screenshot(page, 'mtls-graph');

  // The edge panel: mutual TLS, and who is on each side as their certificates say.
  await clickGraphElement(page, 'frontend.default->cart.default');
  const edgePanel = page.getByTestId('edge-panel');
  await expect(edgePanel.getByTestId('edge-tls')).toHaveText('mutual TLS');
  await expect(edgePanel.getByTestId('edge-source-identity').getByTestId('identity')).toHaveText(identity(trustDomain, 'frontend'));
  await expect(edgePanel.getByTestId('edge-destination-identity').getByTestId('identity')).toHaveText(identity(trustDomain, 'cart'));
  await screenshot(page, 'mtls-edge-panel');

  // The load generator has no inbound port: its identity comes from its proxy.
  await clickGraphElement(page, 'loadgen.default->frontend.default');
  await expect(edgePanel.getByTestId('edge-source-identity').getByTestId('identity')).toHaveText(identity(trustDomain, 'loadgen'));
  await expect(edgePanel.getByTestId('edge-destination-identity').getByTestId('identity')).toHaveText(identity(trustDomain, 'frontend'));

  // The table view says the same, row by row (the keyboard way through the graph).
  await page.getByTestId('graph-view-table').click();
  for (const id of DEMO_EDGES) await expect(page.locator(`[data-testid="edge-row"][data-edge="${id}"]`).getByTestId('edge-row-tls')).toHaveText('mutual TLS');
  await page.getByTestId('graph-view-graph').click();

  // The service panel: identity, inbound mode, and certificate expiry (relative and absolute).
  await clickGraphElement(page, 'reviews.default');
  const nodePanel = page.getByTestId('node-panel');
  await expect(nodePanel.getByTestId('node-identity')).toHaveText(identity(trustDomain, 'reviews'));
  await expect(nodePanel.getByTestId('node-mtls-mode')).toHaveAttribute('data-mode', 'STRICT');
  const expiry = nodePanel.getByTestId('node-cert-expiry');
  await expect(expiry).toHaveAttribute('data-state', 'valid');
  await expect(expiry).toContainText(/expires in \d+ (h|min)/);
  await expect(expiry).toContainText(/\d{4}, \d\d:\d\d UTC/);
  await screenshot(page, 'mtls-service-panel');

  // ...and a link to its block on the Security page.
  await nodePanel.getByTestId('node-security-link').click();
  await expect(page).toHaveURL(/\/security#service-reviews\.default$/);
  const block = page.locator('[data-testid="security-service"][data-service="reviews.default"]');
  await expect(block).toBeInViewport();
});
