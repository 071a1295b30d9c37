#!/usr/bin/env node
// Where a proxy's CPU goes: the one-hop Trellis proxy of the bench (joined to the stand-in control plane,
// route + retry policy, spans at 1.0, metrics on) and the node+undici floor, each run under V8's sampling
// profiler (--cpu-prof) through the same wrk load, then their profiles summed by self time per function
// and per file, in µs per request, side by side. The .cpuprofile files are kept (open them in Chrome
// DevTools for the call trees).
//
//   node bench/proxy/profile.mjs [--trellis-bin F] [--seconds S] [--top N] [--out DIR] [--only trellis|floor]
//   node bench/proxy/profile.mjs --summarize DIR [--top N] [--match TEXT]   # again, from a run's --out DIR
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWrk } from './lib/load.mjs';
import { installCleanup, start, stop, stopAll, waitForPort, freePort } from './lib/processes.mjs';
import { startStreamStub } from './lib/stream-stub.mjs';
import { CALLER_SERVICE, UPSTREAM_SERVICE, benchSnapshot } from './lib/trellis-snapshot.mjs';
import { startTrellisProxy } from './lib/trellis-proxy.mjs';
import { startUpstream } from './lib/upstream.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const log = (line) => process.stderr.write(`${line}\n`);
const WARMUP_SECONDS = 3;
const CONNECTIONS = 20;
// 250 µs between samples: enough of them per request to tell filters apart, little cost to the proxy.
const SAMPLE_INTERVAL_US = 250;

/**
 * Self time (µs) of each function and of each file in a .cpuprofile, counting only the samples taken
 * within `window` ({from, to} in µs of CLOCK_MONOTONIC, V8's profile clock on Linux) when given.
 */
function selfTimes(profile, window) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (window && (at < window.from || at > window.to)) continue;
    // A sample stands for the time since the one before it.
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  }
  const functions = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const file = shortFile(callFrame.url) || `(${callFrame.functionName || 'native'})`;
    const fn = `${callFrame.functionName || '(anonymous)'} ${file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
    total += us;
  }
  return { functions, files, total };
}

/** A bundle or node_modules path, shortened to what names it (bundles are one file: the function name and line say more). */
function shortFile(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  if (!url.startsWith('file:') && !url.startsWith('/')) return url;
  return path.relative(repoRoot, url.startsWith('file:') ? fileURLToPath(url) : url);
}

function printTop(title, map, requests, top, idle, match) {
  const rows = [...map].filter(([name]) => name !== idle && (!match || name.includes(match))).sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\n${title} (µs of self time per request)`);
  for (const [name, us] of rows) console.log(`  ${(us / requests).toFixed(2).padStart(7)}  ${name}`);
}

function summarize(label, profile, requests, top, window, match) {
  const { functions, files, total } = selfTimes(profile, window);
  const idle = files.get('((idle))') ?? 0;
  console.log(`\n=== ${label}: ${requests} requests, ${((total - idle) / requests).toFixed(1)} µs busy per request (idle excluded)`);
  printTop(`${label}: by file`, files, requests, top, '((idle))');
  printTop(`${label}: by function`, functions, requests, top, '(idle) ((idle))', match);
}

/** Runs `startProcess` with --cpu-prof (the node arguments it is given), loads it with wrk, stops it and returns its profile and request count. */
async function profiled(name, dir, seconds, startProcess) {
  const profDir = mkdtempSync(path.join(dir, `${name}-prof-`));
  const target = await startProcess(['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${SAMPLE_INTERVAL_US}`]);
  const url = `http://127.0.0.1:${target.port}/`;
  await runWrk({ url, host: UPSTREAM_SERVICE, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  // Only the measured run counts: start-up and warm-up (compilation) are left out of the summary.
  const from = monotonicUs();
  const run = await runWrk({ url, host: UPSTREAM_SERVICE, connections: CONNECTIONS, seconds });
  const window = { from, to: monotonicUs() };
  log(`${name}: ${Math.round(run.requestsPerSecond)} req/s while profiled; load average ${os.loadavg()[0].toFixed(1)}`);
  await stop(target.child, 10_000);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`${name}: no .cpuprofile written in ${profDir}`);
  return { file: path.join(profDir, file), requests: run.requests, window };
}

async function main() {
  const { values } = parseArgs({
    options: {
      'trellis-bin': { type: 'string', default: path.join(repoRoot, 'apps/cli/bin/trellis.mjs') },
      seconds: { type: 'string', default: '10' },
      top: { type: 'string', default: '30' },
      out: { type: 'string' },
      only: { type: 'string' },
      summarize: { type: 'string' },
      match: { type: 'string' },
    },
  });
  const top = Number(values.top);
  if (values.summarize) {
    for (const r of JSON.parse(readFileSync(path.join(values.summarize, 'runs.json'), 'utf8'))) {
      summarize(r.label, JSON.parse(readFileSync(r.file, 'utf8')), r.requests, top, r.window, values.match);
    }
    return;
  }
  installCleanup();
  const dir = values.out ? path.resolve(values.out) : mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-profile-'));
  mkdirSync(dir, { recursive: true });
  const seconds = Number(values.seconds);
  const results = [];
  try {
    const upstream = await startUpstream({ dir });
    if (values.only !== 'floor') {
      const stream = await startStreamStub();
      stream.snapshots.set(CALLER_SERVICE, benchSnapshot({ upstreamPort: upstream.port }));
      const r = await profiled('trellis', dir, seconds, async (nodeArgs) => {
        const trellisBin = path.resolve(values['trellis-bin']);
        const proxy = await startTrellisProxy({ dir, name: 'trellis', service: CALLER_SERVICE, stream, repoRoot, trellisBin, nodeArgs });
        return { child: proxy.child, port: proxy.ports.outbound };
      });
      results.push({ label: 'Trellis', ...r });
      stream.close();
    }
    if (values.only !== 'trellis') {
      const r = await profiled('floor', dir, seconds, async (nodeArgs) => {
        const port = await freePort();
        const child = start(process.execPath, [...nodeArgs, path.join(repoRoot, 'bench/proxy/node-undici-floor-server.mjs'), String(port), String(upstream.port)], {
          logFile: path.join(dir, 'floor.log'),
        });
        await waitForPort(port, 15_000, child);
        return { child, port };
      });
      results.push({ label: 'node+undici floor', ...r });
    }
  } finally {
    await stopAll();
  }
  writeFileSync(path.join(dir, 'runs.json'), JSON.stringify(results, null, 2));
  for (const r of results) {
    summarize(r.label, JSON.parse(readFileSync(r.file, 'utf8')), r.requests, top, r.window);
    console.log(`  profile: ${r.file}`);
  }
}

main().catch(async (err) => {
  log(`profile bench failed: ${err.stack ?? err.message}`);
  await stopAll();
  process.exit(1);
});
