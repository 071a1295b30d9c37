import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectPageErrors, expect, test } from './support/test.ts';
import { SHORT_SESSIONS } from './support/env.ts';
import { signInWithForm } from './support/auth.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'short sessions admin password';
const IDLE_SECONDS = 6;

/** Starts a process and waits for `ready` in its output. */
function start(command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} not ready in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${output}`)));
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// A control plane whose sessions end after a few idle seconds, and a dashboard (the same build) for it:
// the shared product keeps its sessions for hours, as it should.
test.describe('an expired session', () => {
  test.use({ storageState: { cookies: [], origins: [] } });
  const dashboard = `http://127.0.0.1:${SHORT_SESSIONS.dashboardPort}`;
  let controlPlane: ChildProcess | undefined;
  let next: ChildProcess | undefined;
  let dataDir = '';
  test.beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-e2e-sessions-'));
    controlPlane = await start(
      process.execPath,
      ['apps/cli/bin/trellis.mjs', 'control-plane', '--port', String(SHORT_SESSIONS.controlPlanePort), '--data-dir', dataDir, '--dashboard-url', dashboard, '--session-idle', `${IDLE_SECONDS}s`],
      { TRELLIS_ADMIN_PASSWORD: PASSWORD, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: '' },
      /listening on/,
    );
    next = await start(
      process.execPath,
      [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', String(SHORT_SESSIONS.dashboardPort), '-H', '127.0.0.1', 'apps/web'],
      { TRELLIS_SERVER: `http://127.0.0.1:${SHORT_SESSIONS.controlPlanePort}`, NEXT_TELEMETRY_DISABLED: '1' },
      /Ready in|started server|Local:/i,
    );
  });
  test.afterAll(async () => {
    await stop(next);
    await stop(controlPlane);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('sends the browser to sign-in, and back to the page it was on', async ({ page, browser, pageErrors }) => {
    // The account page makes no calls of its own while it is open: the session idles there.
    await page.goto(`${dashboard}/account`);
    await signInWithForm(page, 'admin', PASSWORD);
    await expect(page).toHaveURL(`${dashboard}/account`);
    await expect(page.getByTestId('account-name')).toHaveText('admin');
    // A second browser signs in and leaves the dashboard (a bookmark to open later). Both sessions idle
    // out in the one wait below, instead of one wait each.
    const later = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
    collectPageErrors(later, pageErrors, 'second browser: ');
    await later.goto(`${dashboard}/account`);
    await signInWithForm(later, 'admin', PASSWORD);
    await expect(later.getByTestId('account-name')).toHaveText('admin');
    await later.goto('about:blank');

    // Idle past the session's end, then go on in the open page: its next call is refused, and the
    // browser goes to sign in, to come back to where it was going.
    await page.waitForTimeout((IDLE_SECONDS + 1) * 1000);
    await page.getByTestId('nav-policies').click();
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fpolicies&expired=1$/);
    await expect(page.getByTestId('sign-in-notice')).toHaveText('Your session has ended. Sign in again to go back to where you were.');
    await signInWithForm(page, 'admin', PASSWORD);
    await expect(page).toHaveURL(`${dashboard}/policies`);
    await expect(page.getByTestId('policies-page')).toBeVisible();

    // Opening a page with an ended session (a bookmark, a reload) goes the same way.
    await later.goto(`${dashboard}/proxies`);
    await expect(later).toHaveURL(/\/sign-in\?next=%2Fproxies&expired=1$/);
    await signInWithForm(later, 'admin', PASSWORD);
    await expect(later).toHaveURL(`${dashboard}/proxies`);
    await later.context().close();
  });
});
