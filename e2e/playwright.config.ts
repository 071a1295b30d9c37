import { defineConfig } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { CONTROL_PLANE, DASHBOARD, EXISTING, PORT_BASE } from './support/env.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = '.trellis/e2e/data';

/**
 * The dashboard's end-to-end specs: real Chromium against the whole product (`trellis up`: control
 * plane on PGlite, the demo shop with a sidecar proxy per app, steady traffic, `next start`). The specs
 * share that one running product, so they run one at a time and each puts back what it changed.
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
  use: {
    baseURL: DASHBOARD,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.TRELLIS_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
  webServer: EXISTING
    ? undefined
    : {
    // A fresh product every run (its proxies keep snapshots beside the data dir, so clear the whole tree).
    command: `rm -rf .trellis/e2e && node apps/cli/bin/trellis.mjs up --fresh --data-dir ${dataDir} --port ${new URL(CONTROL_PLANE).port} --dashboard-port ${new URL(DASHBOARD).port} --port-base ${PORT_BASE}`,
    cwd: root,
    url: DASHBOARD,
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: 'pipe',
    stderr: 'pipe',
        gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      },
});
