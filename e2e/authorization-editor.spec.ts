import { expect, test } from './support/test.ts';
import { mutate, query, type StoredResource } from './support/api.ts';
import { expectNoHorizontalScroll, expectStackedWithin } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// A policy this spec creates for itself and deletes at the end. It lets reviews (ratings' only caller)
// make gRPC calls of the Ratings service (POST /trellis.demo.Ratings/...), which is all the demo does, so
// no request is refused while it exists.
const name = `e2e-ratings-callers-${Date.now().toString(36)}`;

const policies = async () => (await query<StoredResource[]>('resources.list', { kind: 'AuthorizationPolicy' })).map((r) => r.metadata.name);

test('AuthorizationPolicy editor: field errors save nothing; a saved policy shows in the service\'s "who may call"', async ({ page }) => {
  const { trustDomain } = await query<{ trustDomain: string }>('identity.overview');
  try {
    await page.goto('/policies');
    // The tab switches with a client-side navigation: a click before the page is hydrated does nothing, so
    // click until the list is the AuthorizationPolicy one (and its "New" button with it).
    const tab = page.getByTestId('tab-AuthorizationPolicy');
    await expect(async () => {
      await tab.click();
      await expect(tab).toHaveAttribute('aria-selected', 'true', { timeout: 2000 });
    }).toPass();
    await expect(page).toHaveURL(/\/policies\?kind=AuthorizationPolicy$/);
    await expect(page.getByTestId('policies-empty')).toContainText('No authorization policies yet');
    await expect(page.getByTestId('new-policy')).toHaveText('New authorization policy');
    await page.getByTestId('new-policy').click();
    await expect(page).toHaveURL(/\/policies\/new\?kind=AuthorizationPolicy/);
    const editor = page.getByTestId('policy-editor');
    await expect(editor).toHaveAttribute('data-kind', 'AuthorizationPolicy');

    await page.getByTestId('field-metadata-name').fill(name);
    // A whole namespace can be the target (a namespace-wide default-deny); this one is for one service.
    const appliesTo = page.getByTestId('field-spec-targetRef-kind');
    await expect(appliesTo.locator('option')).toHaveText(['One service', 'Every service in a namespace']);
    await appliesTo.selectOption('Namespace');
    await expect(page.getByTestId('field-spec-targetRef-name')).toHaveValue('default');
    await appliesTo.selectOption('Service');
    await page.getByTestId('field-spec-targetRef-name').selectOption('ratings');

    // A caller that is no service, identity pattern, "external" or "*": its message, at its field.
    const from = page.getByTestId('field-spec-rules-0-from');
    await from.fill('reviews, Not A Service');
    await expect(page.getByTestId('field-spec-rules-0-from-error')).toContainText('“Not A Service” must be "*", "external", "name", "name.namespace" or a SPIFFE ID pattern');
    await page.getByTestId('review-save').click();
    await expect(page.getByTestId('form-errors')).toContainText('Nothing was saved');
    await expect(page.getByTestId('review-dialog')).toBeHidden();
    expect(await policies(), 'nothing saved').not.toContain(name);

    // Fixed: reviews may call the Ratings gRPC service (gRPC calls are POSTs to /package.Service/Method).
    await from.fill('reviews');
    await expect(page.getByTestId('field-spec-rules-0-from-error')).toBeHidden();
    await page.getByTestId('field-spec-rules-0-methods').getByLabel('POST').check();
    await page.getByTestId('field-spec-rules-0-paths-add').click();
    await page.getByTestId('field-spec-rules-0-paths-0-type').selectOption('PathPrefix');
    await page.getByTestId('field-spec-rules-0-paths-0-value').fill('/trellis.demo.Ratings');
    await expect(page.getByTestId('dirty-state')).toHaveText('Unsaved changes');
    await screenshot(page, 'authz-editor');

    await page.getByTestId('review-save').click();
    const dialog = page.getByTestId('review-dialog');
    await expect(dialog).toContainText('This creates the policy');
    await dialog.getByTestId('confirm-save').click();
    await expect(page).toHaveURL(new RegExp(`/policies/AuthorizationPolicy/default/${name}$`));
    const saved = await query<StoredResource>('resources.get', { kind: 'AuthorizationPolicy', name, namespace: 'default' });
    expect(saved.spec).toEqual({ targetRef: { kind: 'Service', name: 'ratings' }, action: 'Allow', rules: [{ from: ['reviews'], methods: ['POST'], paths: [{ type: 'PathPrefix', value: '/trellis.demo.Ratings' }] }] });

    // The Security page says who may call ratings now, in words, with the identity "reviews" stands for.
    await page.goto('/security');
    const ratings = page.locator('[data-testid="security-service"][data-service="ratings.default"]');
    const who = ratings.getByTestId('who-may-call');
    await expect(who).toHaveAttribute('data-default', 'deny');
    await expect(who.getByTestId('authz-rule')).toHaveText(`Allow: reviews (spiffe://${trustDomain}/ns/default/sa/reviews) — POST /trellis.demo.Ratings*`);
    await ratings.scrollIntoViewIfNeeded();
    await screenshot(page, 'authz-who-may-call');
    // Other services are untouched: everyone may still call them.
    await expect(page.locator('[data-testid="security-service"][data-service="payments.default"]').getByTestId('authz-everyone')).toBeVisible();

    // Its link opens the policy in the editor; the editor fits a phone.
    await who.getByTestId('authz-policy-link').click();
    await expect(page).toHaveURL(new RegExp(`/policies/AuthorizationPolicy/default/${name}$`));
    await expect(page.getByTestId('field-spec-rules-0-from')).toHaveValue('reviews');
    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalScroll(page);
    await expectStackedWithin(page, page.locator('.form-section'));
    await screenshot(page, 'authz-editor-390');
  } finally {
    if ((await policies()).includes(name)) await mutate('resources.delete', { kind: 'AuthorizationPolicy', name, namespace: 'default', note: 'e2e: clean up' });
  }
});
