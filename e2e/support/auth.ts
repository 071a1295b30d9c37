import { expect, type Browser, type Page } from '@playwright/test';
import { mutate } from './api.ts';

/** Signs in through the sign-in form, as a person would. */
export async function signInWithForm(page: Page, username: string, password: string): Promise<void> {
  await expect(page.getByTestId('sign-in')).toBeVisible();
  await page.getByTestId('sign-in-username').fill(username);
  await page.getByTestId('sign-in-password').fill(password);
  await page.getByTestId('sign-in-submit').click();
}

/** A person created through the API (as the e2e admin), with a password; `run` keeps names unique per run. */
export async function createPerson(run: string, name: string, role: 'viewer' | 'editor' | 'admin', namespaces: string[] = []) {
  const username = `${name}-${run}`;
  const password = `${name} password ${run}`;
  const created = await mutate<{ id: string }>('users.create', { username, role, namespaces, password });
  return { id: created.id, username, password };
}

/** A fresh browser (no admin cookies) signed in as `username`, on `path`. */
export async function signedInPage(browser: Browser, username: string, password: string, path = '/graph'): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto(path);
  await signInWithForm(page, username, password);
  await page.waitForURL((url) => url.pathname === path.split('?')[0]);
  return page;
}

/** A short suffix naming this run, so reruns against the same product do not collide. */
export const runId = () => Date.now().toString(36).slice(-6);
