import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { screenshot } from './support/shots.ts';

const DEMO_EDGES = [
  'loadgen.default->frontend.default',
  'frontend.default->catalog.default',
  'frontend.default->cart.default',
  'frontend.default->reviews.default',
  'reviews.default->ratings.default',
  'cart.default->payments.default',
];

interface Overview {
  bundle: { version: number; issuingRoot: string; roots: { id: string; status: string }[] };
  rotation: { phase: string; lastCompletedAt: string | null };
}

// This spec changes the product for good: the mesh moves to a new root (there is no going back to the
// old one). The specs after it run on the new root, which is what a rotation without downtime promises.
test('Security page: "Rotate root" moves every proxy to a new root while the demo keeps running on mutual TLS', async ({ page }) => {
  const before = await query<Overview>('identity.overview');
  expect(before.rotation.phase, 'no rotation under way before the spec').toBe('idle');

  await page.goto('/security');
  await expect(page.getByTestId('rotation-phase')).toHaveText('idle');
  await page.getByTestId('rotate-open').click();
  await page.getByTestId('rotate-dialog').getByTestId('rotate-confirm').click();
  await expect(page.getByTestId('rotate-dialog')).toBeHidden();

  // Under way: the page shows the steps and what the current one waits for...
  await expect(page.getByTestId('rotation-steps')).toBeVisible();
  await expect(page.getByTestId('rotation-phase')).not.toHaveText('idle');
  await screenshot(page, 'security-rotating');

  // ...until every proxy holds a certificate from the new root and the old root has left the bundle.
  await expect(page.getByTestId('rotation-phase')).toHaveText('idle', { timeout: 60_000 });
  const after = await query<Overview>('identity.overview');
  expect(after.bundle.issuingRoot, 'a new root signs').not.toBe(before.bundle.issuingRoot);
  expect(after.bundle.roots.map((r) => r.id), 'the old root has left the bundle').toEqual([after.bundle.issuingRoot]);
  await expect(page.getByTestId('rotation-idle')).toContainText('The last one finished');
  await expect(page.getByTestId('bundle-version')).toHaveText(`v${after.bundle.version}`);
  await expect(page.locator(`[data-testid="bundle-root"][data-root="${after.bundle.issuingRoot}"]`)).toHaveAttribute('data-status', 'active');
  const proxies = page.getByTestId('security-proxy');
  await expect.poll(async () => proxies.count()).toBeGreaterThan(0);
  for (const row of await proxies.all()) {
    await expect(row).toHaveAttribute('data-cert', 'valid');
    await expect(row.getByTestId('cert-expiry')).toContainText(after.bundle.issuingRoot);
  }
  await screenshot(page, 'security-rotated');

  // And the mesh kept talking mutual TLS on the new root: every demo edge is locked in the last 5 s.
  await expect
    .poll(async () => {
      const graph = await query<{ edges: { id: string; stats: { rps: number; mtlsShare: number | null } }[] }>('graph.get', { windowSeconds: 5, routes: false });
      return DEMO_EDGES.filter((id) => {
        const e = graph.edges.find((x) => x.id === id);
        return !e || e.stats.rps === 0 || e.stats.mtlsShare !== 1;
      });
    }, { message: 'demo edges without mutual TLS traffic after the rotation', timeout: 30_000 })
    .toEqual([]);
});
