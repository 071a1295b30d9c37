import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

const dir = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** Saves what the spec saw to e2e/screenshots/ (gitignored), to look at after the run. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${dir}${name}.png` });
}
