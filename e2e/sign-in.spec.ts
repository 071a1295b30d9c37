import { expect, test } from './support/test.ts';
import { ADMIN } from './support/env.ts';
import { signInWithForm } from './support/auth.ts';
import { screenshot } from './support/shots.ts';

// These start from a browser with no session.
test.use({ storageState: { cookies: [], origins: [] } });

test('a page asks for sign-in first, refuses a wrong password, and opens after the right one; sign out ends it', async ({ page }) => {
  await page.goto('/policies?kind=RetryPolicy');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fpolicies%3Fkind%3DRetryPolicy$/);
  await screenshot(page, 'sign-in');

  await signInWithForm(page, ADMIN.username, 'not the password');
  await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong username or password.');
  await expect(page.getByTestId('sign-in-password')).toHaveValue('');

  await signInWithForm(page, ADMIN.username, ADMIN.password);
  await expect(page).toHaveURL(/\/policies\?kind=RetryPolicy$/);
  await expect(page.locator('[data-testid="policy-row"][data-name="payments-retry"]')).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveText(ADMIN.username);
  await expect(page.getByTestId('user-role')).toHaveText('admin');
  const session = (await page.context().cookies()).find((c) => c.name === 'trellis_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });

  await page.getByTestId('user-menu').locator('summary').click();
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/sign-in\?signedOut=1$/);
  await expect(page.getByTestId('sign-in-notice')).toHaveText('You are signed out.');
  await page.goto('/graph');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fgraph$/);
});

test('the sign-in page offers single sign-on when the control plane has an issuer', async ({ page }) => {
  await page.goto('/sign-in');
  await expect(page.getByTestId('sign-in-sso')).toHaveText('Sign in with SSO');
});

test('the sign-in page fits a 390 px wide phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/sign-in?next=%2Fgraph');
  const form = page.getByTestId('sign-in');
  await expect(form).toBeVisible();
  const box = await form.boundingBox();
  expect(box?.x).toBeGreaterThanOrEqual(0);
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(page, 'sign-in-390');
  await signInWithForm(page, ADMIN.username, ADMIN.password);
  await expect(page).toHaveURL(/\/graph$/);
});
