#!/usr/bin/env node
// `npm run bench:proxy`: one run, same machine, same upstream — direct, nginx, HAProxy, node-http-proxy,
// the node+undici floor, and Trellis one hop, two hops plain and two hops with mTLS — measured for max
// throughput (wrk), latency at a fixed rate (h2load), and the proxies' CPU and memory at that rate; then
// the TLS handshakes per second one Trellis proxy takes. Method and figures: docs/BENCHMARKS.md ("Proxy").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFixedRate, runWrk } from './lib/load.mjs';
import { coreBusy, coreLoopMs, coreTimes, cpuSeconds, installCleanup, isShuttingDown, ownCpuSeconds, pinningPlan, resolveBinary, rssBytes, setNiceness, stop, stopAll } from './lib/processes.mjs';
import { derive, floorGoalLines, goalLines, handshakeTable, mtlsGoalLines, NOISE, table, workersGoalLines } from './lib/report.mjs';
import { HANDSHAKE_CONCURRENCY } from './lib/handshakes.mjs';
import { get, TARGETS } from './lib/targets.mjs';
import { UPSTREAM_BODY } from './lib/nginx-configs.mjs';
import { startUpstream } from './lib/upstream.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '../..');

const USAGE = `usage: node bench/proxy/run.mjs [options]
  --duration S       seconds of each measurement: wrk max throughput, and the fixed-rate run (default 10)
  --connections N    wrk connections for max throughput (default 50)
  --rate N           fixed request rate for latency, CPU and RSS (default 1000)
  --warmup S         seconds of wrk warm-up before measuring each target (default 2)
  --settle S         seconds at the fixed rate before its measured part, dropped from the percentiles
                     (default 5): the JIT of the Node proxies settles on the traffic that is measured
  --only LIST        comma-separated targets: direct,nginx,haproxy,node-http-proxy,node-floor,trellis,
                     trellis-2w,floor-2hop,trellis-2hop,floor-2hop-mtls,trellis-2hop-mtls (direct always
                     runs: it is the baseline for added latency); trellis-2w is trellis with --workers 2 on
                     two cores (on a 2-core machine they are both cores: the load generator shares one);
                     floor-2hop[-mtls] chain two node+undici floors as the Trellis two-hop rows chain two
                     proxies (what Node alone costs for those hops); trellis-2hop-mtls also measures TLS
                     handshakes per second
  --trellis-bin F    the trellis launcher to run (default apps/cli/bin/trellis.mjs)
  --callee-core N    the core of the two-hop rows' callee sidecar (default: a third core if there is
                     one, else the caller's core). On 2 cores, --callee-core 0 gives each proxy a core
                     of its own, as in two pods (it then shares core 0 with the load generator and app)
  --nice=N           run every child at nice N, e.g. --nice=-10 (needs root) to keep other programs on a
                     shared machine from disturbing the figures (default 0)
  --json             print the results as JSON on stdout (the table then goes to stderr)
  --keep             keep the temp dir with configs and logs
  -h, --help`;

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        connections: { type: 'string', default: '50' },
        rate: { type: 'string', default: '1000' },
        warmup: { type: 'string', default: '2' },
        settle: { type: 'string', default: '5' },
        nice: { type: 'string', default: '0' },
        only: { type: 'string' },
        'trellis-bin': { type: 'string', default: path.join(repoRoot, 'apps/cli/bin/trellis.mjs') },
        'callee-core': { type: 'string' },
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (name, min, max) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min || v > max) {
      process.stderr.write(`--${name} must be a number from ${min} to ${max}\n${USAGE}\n`);
      process.exit(2);
    }
    return v;
  };
  const known = TARGETS.map((t) => t.name);
  const aliases = {
    nhp: 'node-http-proxy',
    'http-proxy': 'node-http-proxy',
    node: 'node-http-proxy',
    floor: 'node-floor',
    '2hop': 'trellis-2hop',
    '2hop-mtls': 'trellis-2hop-mtls',
    '2w': 'trellis-2w',
    workers: 'trellis-2w',
    mtls: 'trellis-2hop-mtls',
  };
  const only = values.only?.split(',').map((s) => aliases[s.trim().toLowerCase()] ?? s.trim().toLowerCase());
  const unknown = only?.filter((n) => !known.includes(n)) ?? [];
  if (unknown.length) {
    process.stderr.write(`--only: unknown target(s) ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
    process.exit(2);
  }
  return {
    duration: num('duration', 1, 120),
    connections: Math.round(num('connections', 1, 10_000)),
    rate: Math.round(num('rate', 10, 100_000)),
    warmup: num('warmup', 0, 60),
    settle: num('settle', 0, 60),
    nice: Math.round(num('nice', -20, 19)),
    only: only ? new Set(['direct', ...only]) : undefined,
    trellisBin: path.resolve(values['trellis-bin']),
    calleeCore: values['callee-core'] === undefined ? undefined : Math.round(num('callee-core', 0, os.cpus().length - 1)),
    json: values.json,
    keep: values.keep,
  };
}

const opts = options();
const out = opts.json ? process.stderr : process.stdout;
const began = Date.now();
const progress = (text) => isShuttingDown() || process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(1).padStart(5)}s] ${text}\n`);

function versionOf(command, args, pattern) {
  // Some print their version on stderr (nginx -v), some exit non-zero after printing it.
  const run = spawnSync(resolveBinary(command), args, { encoding: 'utf8', timeout: 5000 });
  return pattern.exec(`${run.stdout ?? ''}${run.stderr ?? ''}`)?.[1];
}

function toolVersions() {
  let httpProxy;
  try {
    httpProxy = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/http-proxy/package.json'), 'utf8')).version;
  } catch {
    /* not installed */
  }
  return {
    nginx: versionOf('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: versionOf('haproxy', ['-v'], /version (\S+)/),
    wrk: versionOf('wrk', ['-v'], /wrk (\S+)/),
    h2load: versionOf('h2load', ['--version'], /nghttp2\/(\S+)/),
    taskset: versionOf('taskset', ['--version'], /(\d+\.\d+(\.\d+)?)/),
    'node-http-proxy': httpProxy,
    node: process.versions.node,
  };
}

/** Why a target cannot run on this machine at all (a missing program), if it cannot. */
function missingTool(name, versions) {
  const needs = { nginx: 'nginx', haproxy: 'haproxy', 'node-http-proxy': 'node-http-proxy' }[name];
  if (needs && !versions[needs]) return needs === 'node-http-proxy' ? 'npm package http-proxy not installed (npm install)' : `${needs} not installed`;
  return undefined;
}

/**
 * Runs `work` while watching the proxy processes (`pids`, may be empty) and the cores: their CPU seconds
 * (summed), the peak RSS of each (sampled every 250 ms), and how busy each core was.
 */
async function observed(pids, pinning, work) {
  // The proxy core's speed just before and after (proxies idle then), against the run's start.
  const cpuOf = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  await quiet(cpuOf);
  const speedBefore = coreSpeed(pinning);
  const peaks = pids.map((pid) => rssBytes(pid));
  const sample = () => pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i], rssBytes(pid))));
  const timer = pids.length ? setInterval(sample, 250) : undefined;
  const cpuBefore = cpuOf();
  const ownBefore = ownCpuSeconds();
  const coresBefore = coreTimes();
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = pids.length ? cpuOf() - cpuBefore : undefined;
    sample();
    const busy = coreBusy(coresBefore, coreTimes());
    const own = ownCpuSeconds() - ownBefore;
    // Process time on the machine that none of our processes was charged for, plus time the hypervisor
    // took from our virtual cores (steal): other work, i.e. noise (in cores: 0.5 = half a core on average).
    const allTask = Object.values(busy).reduce((sum, b) => sum + b.task, 0);
    const stolen = Object.values(busy).reduce((sum, b) => sum + b.steal, 0);
    const idleAfter = await quiet(cpuOf);
    const speed = Math.min(speedBefore, coreSpeed(pinning));
    // A core running slower than at the start lost that share to something we cannot see (another
    // guest on its physical core): counted as noise beyond what the loop's own jitter explains.
    const slowed = speed < SLOW_CORE ? 1 - speed : 0;
    const otherWork = Math.max(0, allTask - own / elapsed) + stolen + slowed;
    const cores = pinning ? { load: busy[pinning.load].busy, proxy: busy[pinning.proxy].busy, peer: busy[pinning.peer].busy } : undefined;
    return { result, cpu, rssPeaks: peaks, elapsed, cores, otherWork, stolen, speed, idleAfter };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Waits (up to 3 s) until the proxies' own CPU time stops moving, so the core-speed probe measures the
 * core and not the proxies' leftover work (after full load they still send the spans they buffered).
 * Returns the seconds it waited.
 */
async function quiet(cpuOf) {
  const started = performance.now();
  let last = cpuOf();
  while (performance.now() - started < 3000) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpuOf();
    if (now - last < 0.003) break; // under 3 % of a core over 100 ms
    last = now;
  }
  return (performance.now() - started) / 1000;
}

/** Below this share of its speed at the start, the proxy core counts as slowed by something unseen. */
const SLOW_CORE = 0.87;
let referenceLoopMs;

/** The proxy core's speed now as a share of the run's first reading (1 = as fast); 1 without pinning. */
function coreSpeed(pinning) {
  if (!pinning) return 1;
  const ms = coreLoopMs(pinning.proxy);
  referenceLoopMs ??= [ms, coreLoopMs(pinning.proxy), coreLoopMs(pinning.proxy)].sort((a, b) => a - b)[1];
  return Math.min(1, referenceLoopMs / ms);
}

/** What disturbed a measurement, in words: other programs' CPU, the host's steal, a slowed core. */
function disturbance({ otherWork, stolen, speed }) {
  const steal = Math.round(stolen * 100);
  const slow = speed !== undefined && speed < SLOW_CORE ? `, the proxy core at ${Math.round(speed * 100)} % of its speed at the start` : '';
  return `other programs or the host used ${Math.round(otherWork * 100)} % of a core${steal ? ` (host steal ${steal} %)` : ''}${slow}`;
}

const REPEATS = 6;
let repeatsLeft = REPEATS; // bounds the run time on a busy machine

/** Runs a measurement; when other work disturbed the proxy core, once more, keeping the quieter one. */
async function leastNoisy(label, run) {
  const first = await run();
  if (first.otherWork <= NOISE || repeatsLeft <= 0) return first;
  repeatsLeft--;
  progress(`${label}: ${disturbance(first)} meanwhile; measuring again`);
  const again = await run();
  return again.otherWork < first.otherWork ? again : first;
}

async function measure(target, ctx) {
  const result = { name: target.name, label: target.label, available: false, notes: [] };
  progress(`${target.label}: starting`);
  let running;
  try {
    running = await target.start(ctx);
  } catch (err) {
    if (err.child) await stop(err.child);
    result.reason = err.message.replace(/\s+/g, ' ').slice(0, 200);
    progress(`${target.label}: not available: ${result.reason}`);
    return result;
  }
  const host = target.host;
  const url = `http://127.0.0.1:${running.port}/`;
  // Two-hop rows watch both proxies: CPU summed (what the path costs), RSS of each.
  const pids = running.pids ?? (running.pid ? [running.pid] : []);
  try {
    const probe = await get(running.port, '/', host);
    if (probe.status !== 200 || probe.body !== UPSTREAM_BODY) {
      throw new Error(`probe through the proxy got ${probe.status} ${JSON.stringify(probe.body.slice(0, 80))}`);
    }
    result.available = true;
    result.pid = running.pid;
    result.notes.push(...running.notes, ...((await target.verify?.(running)) ?? []));

    if (ctx.warmup > 0) {
      progress(`${target.label}: warm-up, wrk -c${ctx.connections} ${ctx.warmup}s`);
      await runWrk({ url, host, connections: ctx.connections, seconds: ctx.warmup, core: ctx.loadCore });
    }

    progress(`${target.label}: latency at ${ctx.rate} rps for ${ctx.duration}s (after ${ctx.settle}s not counted), h2load`);
    const fixed = await leastNoisy(`${target.label}: latency`, () => observed(pids, ctx.pinning, () =>
      runFixedRate({
        url,
        host,
        rate: ctx.rate,
        seconds: ctx.duration,
        discardSeconds: ctx.settle,
        clients: 10,
        core: ctx.loadCore,
        logFile: path.join(ctx.dir, `h2load-${target.name}.log`),
      }),
    ));
    const latency = fixed.result;
    latency.cores = fixed.cores;
    result.latency = latency;
    if (running.pid) {
      result.cpuSeconds = fixed.cpu;
      result.cpuPer1k = fixed.cpu / (latency.requests / 1000);
      result.rssMB = Math.max(...fixed.rssPeaks) / 2 ** 20;
      if (pids.length > 1) result.rssEachMB = fixed.rssPeaks.map((b) => b / 2 ** 20);
    }
    latency.otherWork = fixed.otherWork;
    latency.stolen = fixed.stolen;
    latency.coreSpeed = fixed.speed;
    latency.idleAfter = fixed.idleAfter;
    if (fixed.otherWork > NOISE) result.notes.push(`noisy latency run: ${disturbance(fixed)}`);
    progress(
      `${target.label}:   p50 ${latency.p50Ms.toFixed(3)} ms, p99 ${latency.p99Ms.toFixed(3)} ms` +
        (running.pid ? `, ${result.cpuPer1k.toFixed(3)} CPU s/1k req, RSS ${result.rssMB.toFixed(1)} MB` : ''),
    );

    progress(`${target.label}: max throughput, wrk -t1 -c${ctx.connections} -d${ctx.duration}s`);
    const max = await leastNoisy(`${target.label}: max throughput`, () =>
      observed(pids, ctx.pinning, () => runWrk({ url, host, connections: ctx.connections, seconds: ctx.duration, core: ctx.loadCore })),
    );
    const throughput = max.result;
    throughput.coreBusy = max.cores;
    if (max.cpu !== undefined) throughput.proxyCpuShare = max.cpu / max.elapsed;
    result.throughput = throughput;
    throughput.otherWork = max.otherWork;
    throughput.stolen = max.stolen;
    throughput.coreSpeed = max.speed;
    throughput.idleAfter = max.idleAfter;
    if (max.otherWork > NOISE) result.notes.push(`noisy wrk run: ${disturbance(max)}`);
    progress(
      `${target.label}:   ${Math.round(throughput.requestsPerSecond).toLocaleString('en-US')} req/s` +
        (max.cores ? ` (load core ${Math.round(max.cores.load * 100)} % busy, proxy core ${Math.round(max.cores.proxy * 100)} %)` : ''),
    );
    result.notes.push(...((await target.afterRun?.(running)) ?? []));
    if (result.rssEachMB) result.notes.push(`RSS caller ${result.rssEachMB[0].toFixed(1)} MB, callee ${result.rssEachMB[1]?.toFixed(1)} MB`);
    if (target.handshakes) {
      const observe = (watched, work) => observed(watched, ctx.pinning, work);
      result.handshakes = await target.handshakes(running, { ...ctx, observe, progress });
    }
  } catch (err) {
    if (!result.available) {
      result.reason = err.message.replace(/\s+/g, ' ').slice(0, 200);
      progress(`${target.label}: not available: ${result.reason}`);
    } else {
      result.error = err.message;
      progress(`${target.label}: measurement failed: ${err.message}`);
    }
  } finally {
    for (const child of running.children ?? [running.child]) if (child) await stop(child);
    running.cleanup?.();
  }
  return result;
}

async function main() {
  installCleanup();
  const versions = toolVersions();
  for (const tool of ['wrk', 'h2load', 'nginx']) {
    if (!versions[tool]) throw new Error(`${tool} is required (Debian: apt-get install ${tool === 'h2load' ? 'nghttp2-client' : tool})`);
  }
  const plan = pinningPlan();
  const pinning = plan && opts.calleeCore !== undefined ? { ...plan, peer: opts.calleeCore } : plan;
  setNiceness(opts.nice);
  if (pinning) {
    // This script samples /proc while measuring; keep it off the proxy's core too (all its threads).
    spawnSync(resolveBinary('taskset'), ['-a', '-p', '-c', String(pinning.load), String(process.pid)], { stdio: 'ignore' });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-proxy-'));
  process.on('exit', () => {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  });
  const cores = os.cpus().length;
  const ctx = {
    ...opts,
    dir,
    benchDir,
    repoRoot,
    pinning,
    loadCore: pinning?.load,
    core: pinning?.proxy,
    peerCore: pinning?.peer,
    // trellis-2w: the proxy's core and the next one; with only two cores that is core 0 too, where the
    // load generator and the upstream run (there is no third core to give them).
    multiCore: pinning ? (cores >= 3 ? `${pinning.proxy},${pinning.proxy + 1}` : `${pinning.load},${pinning.proxy}`) : undefined,
  };
  const selected = TARGETS.filter((t) => !opts.only || opts.only.has(t.name));
  // Full and resumed, against the proxy and against the node:tls floor.
  const handshakeSeconds = selected.some((t) => t.handshakes) ? 4 * (opts.duration + 2) : 0;
  const seconds = selected.length * (opts.warmup + opts.settle + opts.duration * 2 + 2) + handshakeSeconds + 3;
  // A hard bound on the whole run: every measurement may be repeated once, and Trellis may build first.
  const budget = seconds + REPEATS * opts.duration + 180;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${budget} s, giving up\n`);
    stopAll().finally(() => process.exit(1));
  }, budget * 1000).unref();
  progress(`proxy bench: ${selected.map((t) => t.name).join(', ')} — about ${seconds} s (longer when noisy measurements are repeated)`);
  progress(
    pinning
      ? `pinning: proxy under test on core ${pinning.proxy}; load generator and upstream on core ${pinning.load}; ` +
          `two-hop rows: caller on core ${pinning.proxy}, callee on core ${pinning.peer}`
      : 'pinning: off (fewer than 2 cores)',
  );

  const idleBefore = coreTimes();
  await new Promise((r) => setTimeout(r, 1000));
  const idle = coreBusy(idleBefore, coreTimes());
  const busyNow = Object.entries(idle).map(([core, b]) => `core ${core} ${Math.round(b.busy * 100)} %`).join(', ');
  const quiet = Object.values(idle).reduce((sum, b) => sum + b.busy, 0) < NOISE;
  progress(`machine before the run: ${busyNow} busy${quiet ? '' : ' — other work is running; figures may be noisy'}`);
  const upstream = await startUpstream({ dir, core: ctx.loadCore });
  const check = await get(upstream.port, '/');
  if (check.status !== 200 || check.body !== UPSTREAM_BODY) throw new Error(`upstream answered ${check.status}`);
  progress(`upstream: nginx ${versions.nginx} on 127.0.0.1:${upstream.port}, 1 worker, fixed ${UPSTREAM_BODY.length}-byte body`);
  ctx.upstreamPort = upstream.port;

  const results = [];
  for (const target of selected) {
    if (isShuttingDown()) return;
    const missing = missingTool(target.name, versions);
    if (missing) {
      results.push({ name: target.name, label: target.label, available: false, reason: missing });
      progress(`${target.label}: not available: ${missing}`);
      continue;
    }
    results.push(await measure(target, { ...ctx, version: versions[target.name] }));
  }
  await stopAll();
  if (isShuttingDown()) return;
  derive(results);

  const cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const header = [
    '',
    `Proxy benchmark — ${new Date().toISOString().slice(0, 10)}, ${cores} cores (${cpuModel}), Linux ${os.release()}, Node ${process.versions.node}`,
    pinning
      ? `Pinning: proxy under test on core ${pinning.proxy}; wrk/h2load, the upstream and the stand-in control plane share core ${pinning.load}. ` +
        `Two-hop rows: caller proxy on core ${pinning.proxy}, callee proxy on core ${pinning.peer}${pinning.peer === pinning.proxy ? ' (no third core: the two proxies share one)' : ''}. ` +
        `Trellis, 2 workers: its three processes on cores ${ctx.multiCore}${cores >= 3 ? '' : ` (no third core: the workers share core ${pinning.load} with the load generator and upstream, so the 1-vs-2 ratio is understated)`}.`
      : 'Pinning: off.',
    ...(opts.nice ? [`Priority: every process of the bench at nice ${opts.nice}.`] : []),
    `nginx: worker_processes 1 — one worker, to match Node's single JavaScript thread (Trellis, node-http-proxy); HAProxy: nbthread 1.`,
    `Upstream: nginx ${versions.nginx ?? ''}, 1 worker, \`return 200\` with a ${UPSTREAM_BODY.length}-byte body, keep-alive; every proxy keeps a connection pool to it.`,
    `Max throughput: wrk -t1 -c${opts.connections} -d${opts.duration}s, keep-alive, after a ${opts.warmup}s warm-up.`,
    `Latency, CPU, RSS: h2load --h1, 10 connections × ${opts.rate / 10} rps = ${opts.rate} rps for ${opts.settle}s (not counted in the percentiles) + ${opts.duration}s; CPU = proxy's utime+stime over the whole run / requests × 1000; RSS = peak VmRSS (process tree).`,
    `Trellis: outbound listener, Host: upstream, route PathPrefix / + GET with a retry policy (3 attempts), tracing sampling 1.0, metrics on; every proxy joined to a stand-in control plane (TLS stream, join token, certificate from its CA).`,
    `Trellis 2 hops: caller sidecar's outbound -> callee sidecar's inbound -> upstream; plain: inbound DISABLE, endpoint without identity; mTLS: inbound STRICT, TLS 1.3 with client certificates, endpoint identity checked. CPU: both proxies; RSS: the larger.`,
    '',
  ];
  const measured = results.flatMap((r) => [r.latency, r.throughput]).filter(Boolean);
  const disturbed = measured.filter((m) => m.otherWork > NOISE).length;
  const noiseLine = disturbed
    ? `\n${disturbed} of ${measured.length} measurements were disturbed by other programs or host steal (see notes); re-run on a quiet machine before trusting them.\n`
    : '';
  out.write(`${header.join('\n')}\n${table(results)}\n${noiseLine}\n${goalLines(results).join('\n')}\n\n${floorGoalLines(results).join('\n')}\n\n${mtlsGoalLines(results, opts.rate).join('\n')}\n\n${workersGoalLines(results, cores).join('\n')}\n`);
  const handshakes = handshakeTable(results, HANDSHAKE_CONCURRENCY, opts.duration);
  if (handshakes) out.write(`\n${handshakes}\n`);
  out.write(`\nTools: ${Object.entries(versions).map(([k, v]) => `${k} ${v ?? 'missing'}`).join(', ')}\n`);
  if (opts.keep) out.write(`Configs and logs kept in ${dir}\n`);
  progress(`done in ${((Date.now() - began) / 1000).toFixed(0)} s`);

  if (opts.json) {
    const json = {
      date: new Date().toISOString(),
      machine: { cores, cpu: cpuModel, kernel: os.release(), node: process.versions.node },
      pinning,
      options: { duration: opts.duration, connections: opts.connections, rate: opts.rate, warmup: opts.warmup, settle: opts.settle, nice: opts.nice },
      tools: versions,
      results,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }
}

// On Ctrl-C the signal handler stops the children and sets the exit code; main only winds down.
main().then(
  () => isShuttingDown() || process.exit(0),
  async (err) => {
    if (isShuttingDown()) return;
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    await stopAll();
    process.exit(1);
  },
);
