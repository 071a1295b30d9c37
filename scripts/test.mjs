#!/usr/bin/env node
// `npm test`: every check and test, in the order that fails fastest.
//   1. the trellis bundle and Prisma client are built (once; reused when sources did not change)
//   2. lint and typecheck of every workspace and of bench/, e2e/, scripts/ (turbo, in parallel)
//   3. unit and integration tests (vitest; storage and API tests run on PGlite and on Postgres)
//   4. browser end-to-end tests (Playwright in Debian's Chromium against the real product)
// Options: --skip-e2e, --only-e2e. Postgres comes from TRELLIS_TEST_DATABASE_URL
// (default postgresql://postgres@127.0.0.1:5432/test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../apps/cli/bin/build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const started = Date.now();
const timings = [];

function step(name, command, commandArgs, env = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name}: ${command} ${commandArgs.join(' ')}`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  timings.push(`${name}: ${seconds} s`);
  if (result.status !== 0) {
    console.error(`\n✗ ${name} failed after ${seconds} s (exit ${result.status ?? result.signal}).`);
    summary();
    process.exit(result.status ?? 1);
  }
}

function summary() {
  console.log(`\n${timings.join('\n')}\ntotal: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

const pgUrl = process.env.TRELLIS_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
if (!(await reachable(pgUrl))) {
  console.error(
    `Postgres is not reachable at ${new URL(pgUrl).host}: the integration tests run against PGlite and Postgres.\n` +
      'Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or point ' +
      'TRELLIS_TEST_DATABASE_URL at one.',
  );
  process.exit(1);
}

const t0 = Date.now();
await ensureBuilt({ log: (line) => console.log(line) });
timings.push(`build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

if (!args.has('--only-e2e')) {
  step('lint and typecheck', 'npx', ['turbo', 'run', 'lint', 'typecheck', 'lint:tools', 'lint:workspaces', 'typecheck:tools', '--output-logs=errors-only']);
  step('unit and integration tests', 'npx', ['vitest', 'run']);
}
if (!args.has('--skip-e2e') && existsSync(path.join(root, 'e2e/playwright.config.ts'))) {
  step('browser end-to-end tests', 'npx', ['playwright', 'test', '--config', 'e2e/playwright.config.ts']);
}
summary();
