import { POLICY_KINDS } from '@trellis/shared';
import type { Page } from '@playwright/test';
import { expect, test } from './support/test.ts';
import { getResource, mutate, query } from './support/api.ts';

// Issue 12.4: every policy kind the API accepts can be created, edited, seen in history and rolled back
// in the dashboard. Each policy targets a service that does not exist, so none of them changes the demo's
// traffic (and the save's toast carries the control plane's warning about it).
const target = 'e2e-kinds-nowhere';
const suffix = Date.now().toString(36);

interface Case {
  /** Fields to fill before the first save (for kinds whose template leaves something to the person). */
  create?: (page: Page) => Promise<void>;
  /** One edit through the form, and where the stored resource shows it. */
  edit: (page: Page) => Promise<void>;
  edited: (spec: Record<string, unknown>) => unknown;
  /** What edited() reads after rolling back to revision 1. */
  original: unknown;
}

const fill = (testId: string, value: string) => async (page: Page) => {
  await page.getByTestId(testId).fill(value);
};
const pick = (testId: string, value: string) => async (page: Page) => {
  await page.getByTestId(testId).selectOption(value);
};
const at = (path: string) => (spec: Record<string, unknown>) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], spec);

const CASES: Record<string, Case & { expected: unknown }> = {
  TrafficSplit: {
    edit: async (page) => {
      await page.getByTestId('field-spec-backends-0-weight').fill('80');
      await page.getByTestId('field-spec-backends-1-weight').fill('20');
    },
    edited: (spec) => (spec.backends as { weight: number }[]).map((b) => b.weight).join('/'),
    expected: '80/20',
    original: '90/10',
  },
  RetryPolicy: { edit: fill('field-spec-attempts', '2'), edited: at('attempts'), expected: 2, original: 3 },
  RateLimitPolicy: { edit: fill('field-spec-requestsPerSecond', '50'), edited: at('requestsPerSecond'), expected: 50, original: 100 },
  CircuitBreakerPolicy: { edit: fill('field-spec-outlierDetection-consecutiveErrors', '7'), edited: at('outlierDetection.consecutiveErrors'), expected: 7, original: 5 },
  TimeoutPolicy: { edit: fill('field-spec-request', '5s'), edited: at('request'), expected: '5s', original: '2s' },
  LoadBalancerPolicy: { edit: pick('field-spec-algorithm', 'RoundRobin'), edited: at('algorithm'), expected: 'RoundRobin', original: 'LeastRequest' },
  FaultPolicy: { edit: fill('field-spec-delay-percentage', '5'), edited: at('delay.percentage'), expected: 5, original: 10 },
  MirrorPolicy: { edit: fill('field-spec-percentage', '20'), edited: at('percentage'), expected: 20, original: 10 },
  CachePolicy: { edit: fill('field-spec-maxEntries', '500'), edited: at('maxEntries'), expected: 500, original: 1000 },
  AuthorizationPolicy: {
    create: fill('field-spec-rules-0-from', 'frontend'),
    edit: fill('field-spec-rules-0-from', 'frontend, cart'),
    edited: (spec) => (spec.rules as { from: string[] }[])[0]?.from.join(','),
    expected: 'frontend,cart',
    original: 'frontend',
  },
  MutualTLSPolicy: { edit: pick('field-spec-mode', 'STRICT'), edited: at('mode'), expected: 'STRICT', original: 'PERMISSIVE' },
  ScaleToZeroPolicy: { edit: fill('field-spec-idleTimeout', '10m'), edited: at('idleTimeout'), expected: '10m', original: '5m' },
};

test('every policy kind the API accepts has a tab on the Policies page', async ({ page }) => {
  expect(Object.keys(CASES).sort(), 'this spec covers every policy kind').toEqual([...POLICY_KINDS].sort());
  await page.goto('/policies');
  for (const kind of POLICY_KINDS) await expect(page.getByTestId(`tab-${kind}`)).toBeVisible();
});

for (const [kind, c] of Object.entries(CASES)) {
  test(`${kind}: created, edited, seen in history and rolled back in the dashboard`, async ({ page }) => {
    const name = `e2e-${kind.toLowerCase().replace(/policy$/, '')}-${suffix}`;
    try {
      // Created from the Policies page's tab (its "New" button, aimed at a service not in the mesh yet).
      await page.goto(`/policies?kind=${kind}`);
      await expect(page.getByTestId(`tab-${kind}`)).toHaveAttribute('aria-selected', 'true');
      await expect(page.getByTestId('new-policy')).toHaveAttribute('href', `/policies/new?kind=${kind}`);
      await page.goto(`/policies/new?kind=${kind}&target=${target}&namespace=default`);
      await expect(page.getByTestId('policy-editor')).toHaveAttribute('data-kind', kind);
      await page.getByTestId('field-metadata-name').fill(name);
      await c.create?.(page);
      await page.getByTestId('review-save').click();
      const dialog = page.getByTestId('review-dialog');
      await dialog.getByTestId('confirm-save').click();
      await expect(dialog).toBeHidden();
      await expect(page).toHaveURL(new RegExp(`/policies/${kind}/default/${name}$`));
      // The editor of the saved policy has loaded it (edits made before would be replaced by it).
      await expect(page.getByTestId('current-revision')).toHaveText('1');
      const toast = page.getByTestId('toast').filter({ hasText: `Saved ${name} as revision 1` });
      await expect(toast.getByTestId('toast-link')).toHaveAttribute('href', `/policies/${kind}/default/${name}?tab=history&revision=1`);
      await expect(toast.getByTestId('toast-warnings')).toContainText(target);

      // Edited in the form.
      await c.edit(page);
      await page.getByTestId('review-save').click();
      await expect(dialog).toBeVisible();
      await dialog.getByTestId('confirm-save').click();
      await expect(dialog).toBeHidden();
      await expect.poll(async () => c.edited((await getResource(kind, name)).spec)).toEqual(c.expected);

      // Seen in history (through the save toast's link), then rolled back to revision 1.
      await page.getByTestId('toast').filter({ hasText: 'as revision 2' }).getByTestId('toast-link').click();
      const history = page.getByTestId('history');
      await expect(history.getByTestId('revision')).toHaveCount(2);
      await history.locator('[data-testid="revision"][data-revision="1"]').click();
      await history.getByTestId('rollback-open').click();
      await page.getByTestId('rollback-confirm').click();
      await expect(history.getByTestId('revision')).toHaveCount(3);
      await expect.poll(async () => c.edited((await getResource(kind, name)).spec)).toEqual(c.original);
    } finally {
      await mutate('resources.delete', { kind, name, namespace: 'default', note: 'e2e: clean up' }).catch(() => undefined);
    }
  });
}

test.afterAll(async () => {
  // Nothing of this spec may stay behind, whatever failed.
  const left = await query<{ kind: string; metadata: { name: string } }[]>('resources.list', {});
  for (const r of left.filter((r) => r.metadata.name.endsWith(`-${suffix}`))) await mutate('resources.delete', { kind: r.kind, name: r.metadata.name, namespace: 'default' });
});
