import { expect, test } from './support/test.ts';
import { ADMIN_STATE, ADMIN_TOKEN, CONTROL_PLANE } from './support/env.ts';

/** The control plane's count of open live subscriptions for one procedure, from its /metrics. */
async function openSubscriptions(procedure: string): Promise<number> {
  const text = await (await fetch(`${CONTROL_PLANE}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`trellis_cp_api_subscriptions{procedure="${procedure}"}`));
  return Number(line?.split(' ')[1] ?? 0);
}

// Live pages get server-sent events through the dashboard: they arrive as they happen (not held back
// by the proxy in between), and closing the page ends the subscription on the control plane.
test('the live tap streams through the dashboard, and closing the page ends the stream upstream', async ({ browser }) => {
  const before = await openSubscriptions('tap.watch');
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  const page = await context.newPage();
  await page.goto('/tap');
  await page.getByTestId('tap-service').selectOption('catalog.default');
  const rows = page.getByTestId('tap-row');
  await expect(rows.first()).toBeVisible();
  const first = await rows.count();
  // More keep arriving while the page is open: the stream is not buffered until it ends.
  await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(first);
  await expect.poll(() => openSubscriptions('tap.watch')).toBe(before + 1);
  await context.close();
  await expect.poll(() => openSubscriptions('tap.watch'), { timeout: 10_000 }).toBe(before);
});
