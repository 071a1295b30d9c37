import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { request } from '@playwright/test';
import { ADMIN, ADMIN_STATE, DASHBOARD } from './env.ts';

/**
 * Signs the admin in once through the dashboard's sign-in route (the form itself is covered by
 * sign-in.spec.ts) and keeps the browser state, so every journey starts signed in.
 */
export default async function globalSetup(): Promise<void> {
  const context = await request.newContext({ baseURL: DASHBOARD });
  const res = await context.post('/auth/sign-in', { headers: { 'x-trellis-csrf': 'e2e' }, data: { username: ADMIN.username, password: ADMIN.password } });
  if (!res.ok()) throw new Error(`signing the e2e admin in failed: ${res.status()} ${await res.text()}`);
  await mkdir(path.dirname(ADMIN_STATE), { recursive: true });
  await context.storageState({ path: ADMIN_STATE });
  await context.dispose();
}
