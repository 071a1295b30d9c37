import { expect, test } from './support/test.ts';
import { mutate, query, type StoredResource } from './support/api.ts';
import { clickGraphElement } from './support/graph.ts';
import { expectNoHorizontalScroll, expectStackedWithin } from './support/layout.ts';
import { screenshot } from './support/shots.ts';

// A MutualTLSPolicy this spec creates for catalog and deletes at the end (catalog is STRICT again then).
// PERMISSIVE keeps mutual TLS from the mesh; DISABLE, for a moment, makes frontend -> catalog plain HTTP.
const name = `e2e-catalog-mtls-${Date.now().toString(36)}`;
const EDGE = 'frontend.default->catalog.default';

const exists = async () => (await query<StoredResource[]>('resources.list', { kind: 'MutualTLSPolicy' })).some((r) => r.metadata.name === name);
const modeOf = async () => (await query<StoredResource>('resources.get', { kind: 'MutualTLSPolicy', name, namespace: 'default' })).spec.mode;

test('MutualTLSPolicy editor: PERMISSIVE shows on the Security page and the service panel, DISABLE makes the edge plain, rollback, delete', async ({ page }) => {
  try {
    // From catalog's block on the Security page to a new MutualTLSPolicy for it.
    await page.goto('/security');
    const catalog = page.locator('[data-testid="security-service"][data-service="catalog.default"]');
    await expect(catalog).toHaveAttribute('data-mode', 'STRICT');
    await catalog.getByTestId('mode-change').click();
    await expect(page).toHaveURL(/\/policies\/new\?kind=MutualTLSPolicy&target=catalog/);

    // The mesh and a namespace can be chosen as well as one service; the YAML follows the form.
    const appliesTo = page.getByTestId('field-spec-targetRef-kind');
    await expect(appliesTo.locator('option')).toHaveText(['One service', 'Every service in a namespace', 'The whole mesh']);
    await appliesTo.selectOption('Mesh');
    await expect(page.getByTestId('field-spec-targetRef-name')).toHaveCount(0);
    await page.getByTestId('tab-yaml').click();
    // The YAML editor is CodeMirror: its innerText is the document, a line each.
    await expect.poll(async () => (await page.getByTestId('yaml-editor').innerText()).split('\n')).toContain('    kind: Mesh');
    await page.getByTestId('tab-form').click();
    await appliesTo.selectOption('Service');
    await page.getByTestId('field-spec-targetRef-name').selectOption('catalog');
    await page.getByTestId('field-metadata-name').fill(name);
    await expect(page.getByTestId('field-spec-mode')).toHaveValue('PERMISSIVE');
    await page.getByTestId('review-save').click();
    await page.getByTestId('review-dialog').getByTestId('confirm-save').click();
    await expect(page).toHaveURL(new RegExp(`/policies/MutualTLSPolicy/default/${name}$`));
    // The saved policy's editor has loaded (the URL changes first) before its layout is measured.
    await expect(page.getByTestId('current-revision')).toHaveText('1');
    await expect(page.locator('.form-section').first()).toBeVisible();
    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalScroll(page);
    await expectStackedWithin(page, page.locator('.form-section'));
    await screenshot(page, 'mtls-editor-390');
    await page.setViewportSize({ width: 1280, height: 800 });

    // PERMISSIVE on the Security page, set by this policy...
    await page.goto('/security');
    await expect(catalog).toHaveAttribute('data-mode', 'PERMISSIVE');
    await expect(catalog.getByTestId('mode-source')).toContainText(`set by ${name}`);
    // The demo's seven services (thumbnails, scaled to zero or not, among them), catalog now PERMISSIVE.
    await expect(page.getByTestId('strict-count')).toContainText('6/7 STRICT');
    // ...and in catalog's service panel; calls from the mesh still go over mutual TLS.
    await page.goto('/graph');
    await clickGraphElement(page, 'catalog.default');
    await expect(page.getByTestId('node-panel').getByTestId('node-mtls-mode')).toHaveAttribute('data-mode', 'PERMISSIVE');
    await expect(page.getByTestId(`edge-lock-${EDGE}`)).toHaveAttribute('data-tls', 'mtls');
    await screenshot(page, 'mtls-permissive-panel');

    // DISABLE (revision 2): catalog takes plain HTTP only, and the graph shows frontend -> catalog plain.
    await page.goto(`/policies/MutualTLSPolicy/default/${name}`);
    await page.getByTestId('field-spec-mode').selectOption('DISABLE');
    await expect(page.getByTestId('disable-warning')).toBeVisible();
    await page.getByTestId('review-save').click();
    await page.getByTestId('review-dialog').getByTestId('confirm-save').click();
    await expect.poll(modeOf).toBe('DISABLE');
    await page.goto('/graph');
    const lock = page.getByTestId(`edge-lock-${EDGE}`);
    await expect(lock).toHaveAttribute('data-tls', /^(plain|mixed)$/);
    await expect(lock).toHaveAccessibleName(/plain HTTP/);
    await screenshot(page, 'mtls-plain-edge');
    await clickGraphElement(page, EDGE);
    await expect(page.getByTestId('edge-panel').getByTestId('edge-tls')).toContainText('plain HTTP');

    // History: back to revision 1 (PERMISSIVE), as a new revision.
    await page.goto(`/policies/MutualTLSPolicy/default/${name}`);
    await page.getByTestId('tab-history').click();
    const history = page.getByTestId('history');
    await expect(history.getByTestId('revision')).toHaveCount(2);
    await history.locator('[data-testid="revision"][data-revision="1"]').click();
    await history.getByTestId('rollback-open').click();
    await expect(page.getByTestId('rollback-dialog')).toContainText('spec.mode');
    await page.getByTestId('rollback-confirm').click();
    await expect.poll(modeOf).toBe('PERMISSIVE');

    // Deleted from the editor: catalog is STRICT again.
    await page.getByTestId('policy-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect(page).toHaveURL(/\/policies\?kind=MutualTLSPolicy$/);
    expect(await exists(), 'deleted').toBe(false);
    await page.goto('/security');
    await expect(catalog).toHaveAttribute('data-mode', 'STRICT');
    await expect(page.getByTestId('strict-count')).toContainText('7/7 STRICT');
  } finally {
    if (await exists()) await mutate('resources.delete', { kind: 'MutualTLSPolicy', name, namespace: 'default', note: 'e2e: clean up' });
  }
});
