import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { ADMIN, ADMIN_STATE, ADMIN_TOKEN, CONTROL_PLANE, DASHBOARD, EXISTING, OIDC_ISSUER, PORT_BASE, SSO_CLIENT, SSO_ROLES } from './support/env.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = '.trellis/e2e/data';

/**
 * The dashboard's end-to-end specs: real Chromium against the whole product (`trellis up`: control
 * plane on PGlite, the demo shop with a sidecar proxy per app, steady traffic, `next start`), with single
 * sign-on through a real OpenID Connect issuer started beside it. The specs share that one running
 * product, so they run one at a time and each puts back what it changed. Every journey starts signed
 * in as the admin (global setup); the sign-in specs start from a browser with no session.
 */
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  outputDir: '../test-results/e2e',
  reporter: process.env.CI ? [['list']] : [['list']],
  globalSetup: './support/global-setup.ts',
  use: {
    baseURL: DASHBOARD,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    storageState: ADMIN_STATE,
    launchOptions: {
      executablePath: process.env.TRELLIS_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
  webServer: EXISTING
    ? undefined
    : [
        {
          command: 'node --import tsx e2e/support/oidc-issuer-main.ts',
          cwd: root,
          url: `${OIDC_ISSUER}/.well-known/openid-configuration`,
          reuseExistingServer: false,
          timeout: 60_000,
          stdout: 'pipe',
          stderr: 'pipe',
        },
        {
          // A fresh product every run (its proxies keep snapshots beside the data dir, so clear the whole tree).
          command: `rm -rf .trellis/e2e && node apps/cli/bin/trellis.mjs up --fresh --data-dir ${dataDir} --port ${new URL(CONTROL_PLANE).port} --dashboard-port ${new URL(DASHBOARD).port} --port-base ${PORT_BASE}`,
          cwd: root,
          url: DASHBOARD,
          reuseExistingServer: false,
          timeout: 300_000,
          stdout: 'pipe',
          stderr: 'pipe',
          gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
          env: {
            TRELLIS_ADMIN_PASSWORD: ADMIN.password,
            TRELLIS_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
            TRELLIS_OIDC_ISSUER: OIDC_ISSUER,
            TRELLIS_OIDC_CLIENT_ID: SSO_CLIENT.id,
            TRELLIS_OIDC_CLIENT_SECRET: SSO_CLIENT.secret,
            TRELLIS_OIDC_ROLES: SSO_ROLES,
          },
        },
      ],
});
