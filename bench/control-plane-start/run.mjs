#!/usr/bin/env node
// Control-plane start time (issue 11: ≤ 3 s on PGlite with the demo's data): how long a restarted control
// plane takes from `trellis control-plane` being spawned to serving (its "listening" line, when snapshots
// are compiled and the stream is open, and /readyz 200). The data directory is made once: the control
// plane's first start (which also creates the CA) and every resource in examples/ applied through the CLI.
// Then it is restarted `--runs` times. Also printed: `trellis help`, Node starting and loading the
// CLI, the floor of any start.
//
//   node bench/control-plane-start/run.mjs [--runs 5]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../../apps/cli/bin/build.mjs';
import { freePort } from '../proxy/lib/processes.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const launcher = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');
const TOKEN = `trb_bench-${'x'.repeat(32)}`;
const log = (line) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('usage: node bench/control-plane-start/run.mjs [--runs N]   (N restarts measured, default 5)');
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
  log('--runs must be a whole number from 1 to 50');
  process.exit(2);
}

/** Starts the control plane; resolves when it logs that it listens, with the times it took. */
function startControlPlane(dataDir, port) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [launcher, 'control-plane', '--data-dir', dataDir, '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, TRELLIS_BOOTSTRAP_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('control plane listening on')) {
        const listening = performance.now() - t0;
        const poll = async () => {
          const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
          if (ok) resolve({ child, listening, ready: performance.now() - t0 });
          else setTimeout(poll, 10);
        };
        void poll();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the control plane exited (${code}) before listening:\n${output.slice(-2000)}`)));
  });
}

function stopControlPlane(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

await ensureBuilt({ log: () => {} });
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-cp-start-'));
try {
  const port = await freePort();
  log('first start: creating the database, the CA, and applying examples/');
  const first = await startControlPlane(dataDir, port);
  log(`  first start (new database and CA): ${s(first.ready)}`);
  for (const file of readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.yaml'))) {
    const applied = spawnSync(process.execPath, [launcher, 'apply', '-f', path.join(repoRoot, 'examples', file)], {
      cwd: repoRoot,
      env: { ...process.env, TRELLIS_SERVER: `http://127.0.0.1:${port}`, TRELLIS_TOKEN: TOKEN },
      encoding: 'utf8',
    });
    if (applied.status !== 0) throw new Error(`applying examples/${file} failed: ${applied.stderr || applied.stdout}`);
  }
  await stopControlPlane(first.child);

  const load = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [launcher, 'help'], { stdio: 'ignore' });
    load.push(performance.now() - t0);
  }
  const restarts = [];
  for (let i = 1; i <= runs; i++) {
    const started = await startControlPlane(dataDir, port);
    restarts.push(started);
    log(`  restart ${i}/${runs}: listening after ${s(started.listening)}, /readyz 200 after ${s(started.ready)}`);
    await stopControlPlane(started.child);
  }
  console.log(`\ncontrol plane restart on PGlite with examples/ applied, ${runs} runs; load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`  spawn -> /readyz 200: median ${s(median(restarts.map((r) => r.ready)))} (${s(Math.min(...restarts.map((r) => r.ready)))}–${s(Math.max(...restarts.map((r) => r.ready)))})`);
  console.log(`  spawn -> "listening": median ${s(median(restarts.map((r) => r.listening)))}`);
  console.log(`  \`trellis help\` (Node starting and loading the CLI, nothing else): median ${s(median(load))}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
