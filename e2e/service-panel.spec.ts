import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { clickGraphElement } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

interface ServiceSummary {
  name: string;
  namespace: string;
  endpoints: { address: string; port: number; instance?: string; labels: Record<string, string> }[];
}

test('service panel: the reviews node shows its endpoints with their proxies in sync, and its policies', async ({ page }) => {
  const reviews = (await query<ServiceSummary[]>('services.list')).find((s) => s.name === 'reviews' && s.namespace === 'default');
  const endpoints = (reviews?.endpoints ?? []).map((e) => `${e.address}:${e.port}`).sort();
  expect(endpoints, 'reviews has its v1 and v2 endpoints').toHaveLength(2);

  await page.goto('/graph');
  await clickGraphElement(page, 'reviews.default');
  const panel = page.getByTestId('node-panel');
  await expect(panel).toBeVisible();
  await expect(panel.locator('h2')).toContainText('reviews');

  // Endpoints: the same ones the control plane lists, each with its version and its proxy in sync.
  const rows = panel.getByTestId('node-endpoint');
  await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-endpoint')))).sort()).toEqual(endpoints);
  for (const row of await rows.all()) {
    await expect(row.getByTestId('endpoint-sync')).toHaveText('in sync');
    await expect(row).toContainText(/config v\d+/);
    await expect(row).toContainText(/v1|v2/);
  }
  await expect(panel).toContainText('2/2 proxies in sync');

  // Policies: the TrafficSplit that targets reviews, linking to its editor.
  const policy = panel.getByTestId('node-policies').getByRole('link', { name: /TrafficSplit\s*reviews/ });
  await expect(policy).toBeVisible();
  await expect(policy).toHaveAttribute('href', '/policies/TrafficSplit/default/reviews');
  await panel.getByTestId('node-endpoints').scrollIntoViewIfNeeded();
  await screenshot(page, 'service-panel');

  await policy.click();
  await expect(page).toHaveURL(/\/policies\/TrafficSplit\/default\/reviews$/);
  await expect(page.getByTestId('policy-editor')).toHaveAttribute('data-kind', 'TrafficSplit');
});
