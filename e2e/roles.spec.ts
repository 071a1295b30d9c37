import { expect, test } from './support/test.ts';
import { getResource, mutate } from './support/api.ts';
import { createPerson, runId, signedInPage } from './support/auth.ts';
import { screenshot } from './support/shots.ts';

const POLICY = '/policies/RetryPolicy/default/payments-retry';

test('a viewer sees the editors disabled with the reason, and cannot shift the canary', async ({ browser }) => {
  const viewer = await createPerson(runId(), 'viewer', 'viewer');
  const page = await signedInPage(browser, viewer.username, viewer.password, POLICY);
  await expect(page.getByTestId('read-only-reason')).toHaveText('Read-only. Your role (viewer) can look but not change policies. Ask an admin for the editor role.');
  await expect(page.getByTestId('field-spec-attempts')).toBeDisabled();
  await expect(page.getByTestId('review-save')).toBeDisabled();
  await expect(page.getByTestId('policy-delete')).toBeDisabled();
  await screenshot(page, 'roles-viewer-policy');
  await page.goto('/canary');
  await expect(page.getByTestId('canary-read-only').first()).toContainText('Your role (viewer) can look but not change policies');
  await expect(page.getByTestId('canary-promote').first()).toBeDisabled();
  // The menu says who they are; there is no Users page for them.
  await expect(page.getByTestId('user-role')).toHaveText('viewer');
  await expect(page.getByTestId('nav-users')).toHaveCount(0);
  await page.context().close();
});

test('a save the role no longer allows is refused by the API (403) and the dashboard says why; nothing is saved', async ({ browser }) => {
  const before = await getResource('RetryPolicy', 'payments-retry');
  const editor = await createPerson(runId(), 'demoted', 'editor');
  const page = await signedInPage(browser, editor.username, editor.password, POLICY);
  await expect(page.getByTestId('read-only-reason')).toHaveCount(0);
  // An admin makes them a viewer while the page is open.
  await mutate('users.update', { id: editor.id, role: 'viewer' });
  await page.getByTestId('field-spec-attempts').fill('5');
  await page.getByTestId('review-save').click();
  await expect(page.getByTestId('save-refused')).toHaveText(
    'The control plane refused this change. Your role (viewer) lacks the permission policy:write that resources.upsert needs; ask an admin for the editor role.',
  );
  await expect(page.getByTestId('review-dialog')).toBeHidden();
  // The page learns the new role: read-only from now on, the typed value still there.
  await expect(page.getByTestId('user-role')).toHaveText('viewer');
  await expect(page.getByTestId('read-only-reason')).toBeVisible();
  await expect(page.getByTestId('field-spec-attempts')).toHaveValue('5');
  await screenshot(page, 'roles-refused');
  expect((await getResource('RetryPolicy', 'payments-retry')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  await page.context().close();
});

test('an editor of shop cannot change a policy in default, and creates policies only in shop', async ({ browser }) => {
  const editor = await createPerson(runId(), 'shop-editor', 'editor', ['shop']);
  const page = await signedInPage(browser, editor.username, editor.password, POLICY);
  await expect(page.getByTestId('read-only-reason')).toHaveText('Read-only. You may change policies only in shop; this one is in default.');
  await expect(page.getByTestId('review-save')).toBeDisabled();
  await page.goto('/policies/new?kind=RetryPolicy&target=payments&namespace=default');
  const namespace = page.getByTestId('field-metadata-namespace');
  await expect(namespace).toHaveValue('shop');
  expect(await namespace.locator('option').allTextContents()).toEqual(['shop']);
  await expect(page.getByTestId('read-only-reason')).toHaveCount(0);
  await screenshot(page, 'roles-shop-editor-new');
  await page.context().close();
});
