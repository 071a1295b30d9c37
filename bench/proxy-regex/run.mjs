#!/usr/bin/env node
// `node bench/proxy-regex/run.mjs`: what regular-expression routes cost the Trellis proxy, and what a
// pathological pattern does to it, for this checkout and (with --before) another build. Routes are
// matched by RE2 (re2js) since issue 11; before, by V8's backtracking RegExp.
//
// Max throughput (wrk -c50 through the outbound listener, proxy pinned to its own core) for three
// route tables: a path prefix (no regex at all), one path regex, and eight path regexes of which the
// last matches. CPU µs per request comes from /proc (utime + stime around the wrk run), which depends
// less on what other programs on the machine do than requests/s. Rounds alternate the builds.
// Then the pathological route `/(a+)+b`: the time to answer an adversarial path, and the latency of an
// ordinary request sent while that one is being matched.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runWrk } from '../proxy/lib/load.mjs';
import { cpuSeconds, freePort, installCleanup, pinningPlan, start, stop, stopAll, waitForPort } from '../proxy/lib/processes.mjs';
import { benchSnapshot, UPSTREAM_SERVICE } from '../proxy/lib/trellis-snapshot.mjs';
import { startUpstream } from '../proxy/lib/upstream.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const USAGE = `usage: node bench/proxy-regex/run.mjs [options]
  --before FILE     a trellis bundle (dist/trellis.js) or launcher of another build to compare with
  --duration S      seconds of each wrk measurement (default 8)
  --warmup S        seconds of wrk before each measurement (default 2)
  --rounds N        rounds; each runs every build and route table once (default 3)
  --connections N   wrk connections (default 50)
  --json            print the results as JSON
  -h, --help`;

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
if (![duration, warmup, rounds, connections].every((n) => Number.isFinite(n) && n > 0)) {
  process.stderr.write(`--duration, --warmup, --rounds and --connections must be numbers above 0\n${USAGE}\n`);
  process.exit(2);
}

const REQUEST_PATH = '/api/v1/users/42';
const route = (name, match) => ({ name, match, policies: {} });
const regexPath = (value) => ({ path: { type: 'RegularExpression', value } });
const TABLES = {
  prefix: [route('api', { path: { type: 'PathPrefix', value: '/api' } })],
  regex: [route('users', regexPath('/api/v[0-9]+/users/[^/]+'))],
  'regex x8': [
    ...['orders', 'carts', 'items', 'reviews', 'ratings', 'payments', 'search'].map((r) => route(r, regexPath(`/api/v[0-9]+/${r}/[^/]+`))),
    route('users', regexPath('/api/v[0-9]+/users/[^/]+')),
  ],
};

function snapshotWith(routes, upstreamPort) {
  const snapshot = benchSnapshot({ upstreamPort });
  const [svc] = snapshot.outbound.services;
  svc.routes = [...routes, { name: 'default', match: {}, policies: {} }];
  return snapshot;
}

async function startTrellis(bin, snapshot, dir, core) {
  const file = path.join(dir, `snapshot-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(snapshot));
  const port = await freePort();
  let resolveReady;
  const ready = new Promise((r) => (resolveReady = r));
  const child = start(
    process.execPath,
    [bin, 'proxy', '--config', file, '--service', 'bench', '--outbound-port', String(port), '--inbound-port', String(await freePort()), '--admin-port', String(await freePort())],
    { core, cwd: repoRoot, logFile: path.join(dir, `proxy-${Date.now()}.log`), onLine: (line) => line.includes('trellis proxy ready') && resolveReady() },
  );
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`proxy not ready in 30 s: ${child.lastLines.join(' | ')}`)), 30_000));
  await Promise.race([ready, timeout]);
  await waitForPort(port, 10_000, child);
  return { child, port };
}

function get(port, urlPath, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host: UPSTREAM_SERVICE }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ status: 0, ms: performance.now() - started });
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end();
  });
}

/** The adversarial path's answer time, and an ordinary request's latency sent 5 ms into it. */
async function pathological(bin, upstreamPort, dir, core, hostileLength) {
  const proxy = await startTrellis(bin, snapshotWith([route('redos', regexPath('/(a+)+b'))], upstreamPort), dir, core);
  try {
    for (let i = 0; i < 20; i++) await get(proxy.port, REQUEST_PATH);
    const hostile = get(proxy.port, `/${'a'.repeat(hostileLength)}`, 30_000);
    await new Promise((r) => setTimeout(r, 5));
    const bystander = await get(proxy.port, REQUEST_PATH, 30_000);
    return { hostileLength, hostileMs: (await hostile).ms, bystanderMs: bystander.ms };
  } finally {
    await stop(proxy.child);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  installCleanup();
  const plan = pinningPlan();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-regex-'));
  const { ensureBuilt } = await import(pathToFileURL(path.join(repoRoot, 'apps/cli/bin/build.mjs')).href);
  const builds = { after: await ensureBuilt({ log: () => {} }) };
  if (values.before) builds.before = path.resolve(values.before);
  const upstream = await startUpstream({ dir, core: plan?.load });
  const results = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [build, bin] of Object.entries(builds)) {
        for (const [table, routes] of Object.entries(TABLES)) {
          const proxy = await startTrellis(bin, snapshotWith(routes, upstream.port), dir, plan?.proxy);
          try {
            const url = `http://127.0.0.1:${proxy.port}${REQUEST_PATH}`;
            await runWrk({ url, host: UPSTREAM_SERVICE, connections, seconds: warmup, core: plan?.load });
            const cpu0 = cpuSeconds(proxy.child.pid);
            const wrk = await runWrk({ url, host: UPSTREAM_SERVICE, connections, seconds: duration, core: plan?.load });
            const cpu = cpuSeconds(proxy.child.pid) - cpu0;
            const row = { round, build, table, rps: wrk.requestsPerSecond, cpuUsPerRequest: (cpu / wrk.requests) * 1e6, errors: wrk.non2xx + wrk.socketErrors };
            results.push(row);
            process.stderr.write(`round ${round} ${build.padEnd(6)} ${table.padEnd(9)} ${row.rps.toFixed(0).padStart(6)} req/s  ${row.cpuUsPerRequest.toFixed(1)} µs CPU/request${row.errors ? `  ${row.errors} errors` : ''}\n`);
          } finally {
            await stop(proxy.child);
          }
        }
      }
    }
    const adversarial = [await pathological(builds.after, upstream.port, dir, plan?.proxy, 10_000)];
    // The backtracking engine doubles its time per character: 24 characters is already a long wait.
    if (builds.before) adversarial.push({ build: 'before', ...(await pathological(builds.before, upstream.port, dir, plan?.proxy, 24)) });
    adversarial[0] = { build: 'after', ...adversarial[0] };

    const summary = {};
    for (const build of Object.keys(builds)) {
      for (const table of Object.keys(TABLES)) {
        const rows = results.filter((r) => r.build === build && r.table === table);
        summary[`${build} ${table}`] = { rps: median(rows.map((r) => r.rps)), cpuUsPerRequest: median(rows.map((r) => r.cpuUsPerRequest)) };
      }
    }
    const lines = ['', 'median of the rounds:', 'build   routes     req/s   CPU µs/request'];
    for (const [key, s] of Object.entries(summary)) {
      const [build, ...table] = key.split(' ');
      lines.push(`${build.padEnd(7)} ${table.join(' ').padEnd(9)} ${s.rps.toFixed(0).padStart(6)}   ${s.cpuUsPerRequest.toFixed(1)}`);
    }
    for (const build of Object.keys(builds)) {
      const p = summary[`${build} prefix`];
      for (const table of ['regex', 'regex x8']) {
        const r = summary[`${build} ${table}`];
        lines.push(`${build}: ${table} / prefix: CPU ${(r.cpuUsPerRequest / p.cpuUsPerRequest).toFixed(3)}x, req/s ${(r.rps / p.rps).toFixed(3)}x`);
      }
    }
    if (builds.before) {
      for (const table of Object.keys(TABLES)) {
        const a = summary[`after ${table}`];
        const b = summary[`before ${table}`];
        lines.push(`after / before, ${table}: CPU ${(a.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(3)}x, req/s ${(a.rps / b.rps).toFixed(3)}x`);
      }
    }
    for (const a of adversarial) {
      lines.push(`${a.build}: /(a+)+b against a ${a.hostileLength}-character path: answered in ${a.hostileMs.toFixed(1)} ms; an ordinary request beside it: ${a.bystanderMs.toFixed(1)} ms`);
    }
    (values.json ? process.stderr : process.stdout).write(`${lines.join('\n')}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify({ results, summary, adversarial }, null, 2)}\n`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  await stopAll();
  process.exit(1);
});
