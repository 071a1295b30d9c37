import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { EXISTING, OIDC_ISSUER } from './support/env.ts';
import { screenshot } from './support/shots.ts';

test.use({ storageState: { cookies: [], origins: [] } });
test.skip(EXISTING, 'needs the test OIDC issuer that the e2e product is started with');

/** From the dashboard's sign-in page through the issuer's own sign-in and consent pages, and back. */
async function signInWithSso(page: Page, login: string, path: string) {
  await page.goto(path);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await page.getByTestId('sign-in-sso').click();
  await expect(page).toHaveURL(new RegExp(`^${OIDC_ISSUER}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password: the test issuer takes it');
  await page.locator('button[type="submit"]').click();
  // The issuer asks once whether Trellis may have the person's profile and groups.
  const consent = page.getByRole('button', { name: 'Continue' });
  if (await consent.isVisible().catch(() => false)) await consent.click();
}

test('single sign-on through the issuer, with the role its groups map to, back to the page asked for', async ({ page }) => {
  await signInWithSso(page, 'sso-shop', '/canary');
  await expect(page).toHaveURL(/\/canary$/);
  await expect(page.getByTestId('user-name')).toHaveText('sso-shop');
  await expect(page.getByTestId('user-role')).toHaveText('editor');
  // Their groups make them an editor of shop only: the demo's canary is in default.
  await expect(page.getByTestId('canary-read-only').first()).toHaveText('You may change policies only in shop; this one is in default.');
  await screenshot(page, 'sso-editor');
  await page.goto('/account');
  await expect(page.getByTestId('account-role')).toHaveText('editor');
  await expect(page.getByTestId('account-page')).toContainText('single sign-on');
});

test('someone the groups make a viewer signs in as a viewer', async ({ page }) => {
  await signInWithSso(page, 'sso-reader', '/policies');
  await expect(page).toHaveURL(/\/policies$/);
  await expect(page.getByTestId('user-role')).toHaveText('viewer');
});
