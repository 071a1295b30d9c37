import { expect, test } from './support/test.ts';
import { mutate } from './support/api.ts';
import { CONTROL_PLANE } from './support/env.ts';
import { runId, signInWithForm } from './support/auth.ts';
import { screenshot } from './support/shots.ts';

test('an admin invites someone with a one-time link; they set a password and sign in with it', async ({ page, browser }) => {
  const name = `invitee-${runId()}`;
  await page.goto('/users');
  await page.getByTestId('invite').click();
  const dialog = page.getByTestId('invite-dialog');
  await dialog.getByTestId('invite-username').fill(name);
  await dialog.getByTestId('invite-role').selectOption('editor');
  await dialog.getByTestId('invite-namespaces').fill('shop, payments');
  await dialog.getByTestId('confirm-invite').click();
  const link = (await dialog.getByTestId('invite-link-value').textContent()) ?? '';
  expect(link).toMatch(/\/auth\/link\?token=trl_/);
  await screenshot(page, 'users-invite-link');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(page.locator(`[data-testid="user-row"][data-name="${name}"] [data-testid="user-row-role"]`)).toHaveText('editor · payments, shop');

  // The invited person's browser: the link signs them in once and asks for a password.
  const theirs = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const them = await theirs.newPage();
  await them.goto(link);
  await expect(them).toHaveURL(/\/account\?welcome=1$/);
  await expect(them.getByTestId('welcome')).toContainText('Choose a password');
  await them.getByTestId('new-password').fill('invitee chose this one');
  await them.getByTestId('again-password').fill('invitee chose this one');
  await them.getByTestId('change-password').click();
  await expect(them.getByText('Password changed.')).toBeVisible();
  // The link is used up.
  const again = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
  await again.goto(link);
  await expect(again.getByTestId('sign-in-notice')).toHaveText('This sign-in link was already used or has expired. Ask an admin for a new one.');
  await signInWithForm(again, name, 'invitee chose this one');
  await expect(again).toHaveURL(/\/graph$/);
  await expect(again.getByTestId('user-role')).toHaveText('editor');

  // Signing them out everywhere ends both sessions on their next call.
  await page.reload();
  await page.locator(`[data-testid="user-row"][data-name="${name}"]`).getByTestId('revoke-sessions').click();
  await expect(page.getByText(/Signed out everywhere: 2 session\(s\)/)).toBeVisible();
  // Their open graph page notices on its live stream (the session is checked again every few seconds)
  // and asks them to sign in; waiting for that first keeps it from racing the next navigation.
  await expect(again).toHaveURL(/\/sign-in\?next=%2Fgraph&expired=1$/);
  await again.goto('/policies');
  await expect(again).toHaveURL(/\/sign-in\?next=%2Fpolicies/);
  await theirs.close();
});

test('an admin creates an API token, shown once, that works until it is revoked', async ({ page }) => {
  const name = `e2e token ${runId()}`;
  await page.goto('/users');
  await page.getByTestId('create-token').click();
  const dialog = page.getByTestId('token-dialog');
  await dialog.getByTestId('token-name').fill(name);
  await dialog.getByTestId('token-role').selectOption('viewer');
  await dialog.getByTestId('token-lifetime').selectOption({ label: '7 days' });
  await dialog.getByTestId('confirm-token').click();
  const token = (await dialog.getByTestId('new-token-value').textContent()) ?? '';
  expect(token).toMatch(/^trt_[\w-]{43}$/);
  await dialog.getByTestId('token-done').click();
  const call = () => fetch(`${CONTROL_PLANE}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } });
  expect(((await (await call()).json()) as { result: { data: { name: string; role: string } } }).result.data).toMatchObject({ name, role: 'viewer' });
  const row = page.locator(`[data-testid="token-row"][data-name="${name}"]`);
  await expect(row).toContainText(token.slice(0, 10));
  await expect(row).not.toContainText(token.slice(10));
  await row.getByTestId('revoke-token').click();
  await expect(row).toHaveCount(0);
  expect((await call()).status).toBe(401);
});

test('Users & tokens fits a 390 px wide phone', async ({ page }) => {
  // A token in the list, so its table is on the page too.
  const token = await mutate<{ id: string }>('tokens.create', { name: `phone check ${runId()}`, role: 'viewer', ttlSeconds: 3600 });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/users');
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  await expect(page.getByTestId('token-row').first()).toBeVisible();
  // The page itself does not scroll sideways (wide tables scroll inside their card).
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const invite = page.getByTestId('invite');
  await expect(invite).toBeInViewport();
  await screenshot(page, 'users-390');
  await page.goto('/account');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(page, 'account-390');
  await mutate('tokens.revoke', { id: token.id });
});
