import { expect, test } from './support/test.ts';
import { query } from './support/api.ts';
import { expectNoHorizontalScroll, expectStackedWithin } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// Every demo service takes inbound traffic; the load generator only calls (it has no inbound port).
const SERVICES = ['cart', 'catalog', 'frontend', 'payments', 'ratings', 'reviews'];
const CALLERS_ONLY = ['loadgen'];

interface ProxyApi {
  service: string;
  namespace: string;
  instance: string;
  connected: boolean;
}

test('Security page: every demo service STRICT, with its identity and a valid certificate on each proxy', async ({ page }) => {
  const { trustDomain, bundle } = await query<{ trustDomain: string; bundle: { version: number; issuingRoot: string } }>('identity.overview');
  const proxies = (await query<ProxyApi[]>('proxies.list')).filter((p) => p.connected);

  await page.goto('/graph');
  await page.getByTestId('nav-security').click();
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByTestId('trust-domain')).toContainText(trustDomain);
  // Every service STRICT: the demo's, and thumbnails, counted whether it is scaled to zero or not (it has
  // no proxy to list while it is down, so it is not in the per-service checks below).
  await expect(page.getByTestId('strict-count')).toContainText(`${SERVICES.length + 1}/${SERVICES.length + 1} STRICT`);

  for (const name of [...SERVICES, ...CALLERS_ONLY]) {
    const block = page.locator(`[data-testid="security-service"][data-service="${name}.default"]`);
    await expect(block, `${name} is listed`).toBeVisible();
    await expect(block).toHaveAttribute('data-mode', CALLERS_ONLY.includes(name) ? 'none' : 'STRICT');
    await expect(block.getByTestId('service-identity')).toHaveText(`spiffe://${trustDomain}/ns/default/sa/${name}`);
    // One row per connected proxy of the service, each with a certificate that is valid now.
    const instances = proxies.filter((p) => p.service === name && p.namespace === 'default').map((p) => p.instance).sort();
    expect(instances.length, `${name} has connected proxies`).toBeGreaterThan(0);
    const rows = block.getByTestId('security-proxy');
    await expect.poll(async () => (await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-instance')))).sort()).toEqual(instances);
    for (const row of await rows.all()) {
      await expect(row).toHaveAttribute('data-cert', 'valid');
      await expect(row.getByTestId('cert-expiry')).toContainText(/expires in \d+ (h|min)/);
    }
    if (!CALLERS_ONLY.includes(name)) await expect(block.getByTestId('authz-everyone')).toHaveText(/Everyone may call/);
  }

  // The trust bundle: its root, the one that signs, and no rotation under way.
  const root = page.locator(`[data-testid="bundle-root"][data-root="${bundle.issuingRoot}"]`);
  await expect(root).toHaveAttribute('data-status', 'active');
  await expect(root).toContainText('issuing');
  await expect(root.getByTestId('root-expiry')).toContainText(/in \d+/);
  await expect(page.getByTestId('bundle-version')).toHaveText(`v${bundle.version}`);
  await expect(page.getByTestId('rotation-phase')).toHaveText('idle');
  await expect(page.getByTestId('expiring-none')).toBeVisible();

  // "Rotate root" says what will happen before anything does; cancelling changes nothing.
  await page.getByTestId('rotate-open').click();
  const dialog = page.getByTestId('rotate-dialog');
  await expect(dialog).toContainText('three steps');
  await expect(dialog).toContainText('The new root joins the trust bundle');
  // The count is live: thumbnails' proxy comes and goes (scale to zero), so compare with the API now.
  await expect
    .poll(async () => {
      const shown = Number(/all (\d+) connected proxies/.exec((await dialog.textContent()) ?? '')?.[1]);
      const connected = (await query<ProxyApi[]>('proxies.list')).filter((p) => p.connected).length;
      return shown === connected ? 'the same' : `dialog ${shown}, API ${connected}`;
    })
    .toBe('the same');
  await expect(dialog).toContainText('Requests keep flowing');
  await screenshot(page, 'security-rotate-dialog');
  await dialog.getByTestId('rotate-cancel').click();
  await expect(dialog).toBeHidden();
  expect((await query<{ bundleVersion: number }>('identity.ca.status')).bundleVersion, 'no rotation started').toBe(bundle.version);
  await screenshot(page, 'security-1280');

  // A phone: the page fits, and no block covers another.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId('security-service').first()).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectStackedWithin(page, page.locator('[data-testid="security-page"] .card'));
  await screenshot(page, 'security-390');
  await page.locator('[data-testid="security-service"][data-service="reviews.default"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'security-390-service');
});
