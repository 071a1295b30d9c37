import { expect, test } from './support/test.ts';
import { clickGraphElement, drawnGraph, parseEdgeLabel } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

// Traffic enters through the load generator's sidecar (a meshed client), not from outside the mesh.
const SERVICES = ['loadgen', 'frontend', 'catalog', 'cart', 'reviews', 'ratings', 'payments'].map((s) => `${s}.default`);
const EDGES = [
  'loadgen.default->frontend.default',
  'frontend.default->catalog.default',
  'frontend.default->cart.default',
  'frontend.default->reviews.default',
  'reviews.default->ratings.default',
  'cart.default->payments.default',
];

test('the graph shows the demo services with live, moving traffic on every edge', async ({ page }) => {
  await page.goto('/graph');
  await expect(page.getByTestId('live-indicator')).toContainText('Live');

  // Every demo service is a node and every demo edge carries traffic.
  await expect
    .poll(
      async () => {
        const g = await drawnGraph(page);
        const missingNodes = SERVICES.filter((s) => !g.nodes.includes(s));
        const idleEdges = EDGES.filter((id) => !(parseEdgeLabel(g.edges.find((e) => e.id === id)?.label ?? '').rps > 0));
        return [...missingNodes, ...idleEdges];
      },
      { timeout: 60_000, message: 'demo services and edges with non-zero rps' },
    )
    .toEqual([]);

  // The numbers move: the drawn labels change as new live updates arrive.
  const before = (await drawnGraph(page)).edges.map((e) => e.label).join('|');
  await expect.poll(async () => (await drawnGraph(page)).edges.map((e) => e.label).join('|'), { timeout: 15_000 }).not.toBe(before);

  await expect(page.getByTestId('graph-legend')).toBeVisible();
  await expect(page.getByTestId('badges-reviews.default')).toContainText('SPLIT');
  // The header counts every service in the mesh: the demo's (the serverless thumbnails among them), and
  // any other a policy names (a spec may have left one aimed at a service that has no proxy).
  const summary = (await page.getByTestId('graph-summary').textContent()) ?? '';
  expect(Number(/(\d+) services/.exec(summary)?.[1]), summary).toBeGreaterThanOrEqual(SERVICES.length);
  // The rate into the mesh is what the load generator sends (about 20/s), not zero.
  await expect(page.getByTestId('graph-summary')).not.toContainText(/· 0 rps in/); // a regex: a string is trimmed, and "0 rps in" is in "20 rps in"
  await screenshot(page, '1-graph');

  // ratings speaks gRPC (reviews v2 calls it through both sidecars): its edge says so, and its panel counts
  // the calls by grpc-status and has a row per gRPC method.
  const grpcEdge = 'reviews.default->ratings.default';
  await expect.poll(async () => (await drawnGraph(page)).edges.find((e) => e.id === grpcEdge)?.label).toMatch(/ · gRPC$/m);
  expect((await drawnGraph(page)).edges.find((e) => e.id === 'cart.default->payments.default')?.label).not.toContain('gRPC');
  await clickGraphElement(page, grpcEdge);
  const panel = page.getByTestId('edge-panel');
  const ok = panel.locator('[data-testid="edge-grpc-status"][data-status="OK"]');
  await expect(ok).toContainText('OK');
  expect(Number(await ok.getAttribute('data-count'))).toBeGreaterThan(0);
  const method = panel.locator('[data-testid="edge-route"][data-route="/trellis.demo.Ratings/GetRating"]');
  await expect(method).toHaveAttribute('data-grpc', 'true');
  await expect(method.getByTestId('edge-route-grpc')).toContainText(/^OK \d+/);
  await panel.getByTestId('edge-grpc').scrollIntoViewIfNeeded();
  await screenshot(page, 'graph-grpc-edge');

  // An HTTP edge has no gRPC figures.
  await panel.getByTestId('panel-close').click();
  await clickGraphElement(page, 'cart.default->payments.default');
  await expect(panel.getByTestId('edge-routes')).toBeVisible();
  await expect(panel.getByTestId('edge-grpc')).toHaveCount(0);
});
