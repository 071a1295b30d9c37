import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { getResource, restore, type StoredResource } from './support/api.ts';
import { ADMIN } from './support/env.ts';
import { clickGraphElement } from './support/graph.ts';
import { screenshot } from './support/shots.ts';

async function openPolicy(page: Page, tab: string, name: string) {
  await page.goto('/policies');
  await page.getByTestId(`tab-${tab}`).click();
  await page.locator(`[data-testid="policy-row"][data-name="${name}"]`).getByRole('link').click();
  await expect(page.getByTestId('policy-editor')).toBeVisible();
}

/** Saves the form through the diff dialog, with a note, and returns the note. */
async function saveWithReview(page: Page, path: string, note: string) {
  await page.getByTestId('review-save').click();
  const dialog = page.getByTestId('review-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator(`[data-testid="diff-row"][data-path="${path}"]`)).toBeVisible();
  await dialog.getByTestId('change-note').fill(note);
  await dialog.getByTestId('confirm-save').click();
  await expect(dialog).toBeHidden();
}

async function expectInHistory(page: Page, note: string) {
  await page.getByTestId('tab-history').click();
  const revision = page.getByTestId('revision').filter({ hasText: note });
  await expect(revision).toBeVisible();
  await expect(revision.getByTestId('revision-author')).toHaveText(ADMIN.username);
}

async function expectRolledOut(page: Page) {
  await expect(page.getByTestId('rollout-status')).toHaveAttribute('data-state', 'in-sync', { timeout: 20_000 });
  const proxies = page.getByTestId('rollout-proxy');
  expect(await proxies.count()).toBeGreaterThan(0);
  for (const p of await proxies.all()) await expect(p).toHaveAttribute('data-in-sync', 'true');
}

test('retry and rate-limit forms: invalid values are refused at the field, valid ones roll out', async ({ page }) => {
  // Notes name this run, so a rerun against the same product finds its own revisions.
  const run = new Date().toISOString().slice(11, 19);
  const retry = await getResource('RetryPolicy', 'payments-retry');
  const limit = await getResource('RateLimitPolicy', 'catalog-rate-limit');
  const changed: StoredResource[] = [];
  try {
    // --- Retry policy: an invalid value shows the field error and saves nothing.
    await openPolicy(page, 'RetryPolicy', 'payments-retry');
    const attempts = page.getByTestId('field-spec-attempts');
    await attempts.fill('50');
    await expect(page.getByTestId('field-spec-attempts-error')).toHaveText('must be at most 10');
    await page.getByTestId('review-save').click();
    await expect(page.getByTestId('form-errors')).toContainText('Nothing was saved');
    await expect(page.getByTestId('review-dialog')).toBeHidden();
    expect((await getResource('RetryPolicy', 'payments-retry')).metadata.resourceVersion).toBe(retry.metadata.resourceVersion);

    // A valid one saves, shows in history, and every affected proxy gets it.
    await attempts.fill('4');
    await expect(page.getByTestId('field-spec-attempts-error')).toBeHidden();
    changed.push(retry);
    await saveWithReview(page, 'spec.attempts', `e2e ${run}: four attempts`);
    expect((await getResource('RetryPolicy', 'payments-retry')).spec.attempts).toBe(4);
    await expectRolledOut(page);
    await expectInHistory(page, `e2e ${run}: four attempts`);
    await screenshot(page, '3-retry-history');

    // --- Rate limit: the same, then the limit shows as rate-limited requests on the edge.
    await openPolicy(page, 'RateLimitPolicy', 'catalog-rate-limit');
    const rps = page.getByTestId('field-spec-requestsPerSecond');
    await rps.fill('0');
    await expect(page.getByTestId('field-spec-requestsPerSecond-error')).toHaveText('must be greater than 0');
    await page.getByTestId('review-save').click();
    await expect(page.getByTestId('form-errors')).toBeVisible();
    expect((await getResource('RateLimitPolicy', 'catalog-rate-limit')).metadata.resourceVersion).toBe(limit.metadata.resourceVersion);

    await rps.fill('5');
    await page.getByTestId('field-spec-burst').fill('5');
    changed.push(limit);
    await saveWithReview(page, 'spec.requestsPerSecond', `e2e ${run}: 5 rps`);
    await expectRolledOut(page);
    await screenshot(page, '3-rate-limit-saved');
    await expectInHistory(page, `e2e ${run}: 5 rps`);

    await page.goto('/graph');
    await clickGraphElement(page, 'frontend.default->catalog.default');
    const panel = page.getByTestId('edge-panel');
    await expect(panel).toBeVisible();
    await expect
      .poll(async () => Number((await panel.getByTestId('edge-stat-ratelimited').locator('.stat-value').textContent()) ?? 0), { timeout: 20_000 })
      .toBeGreaterThan(5);
    await screenshot(page, '3-rate-limited-edge');
  } finally {
    for (const original of changed) await restore(original, 'e2e: put the demo policy back');
  }
});
