#!/usr/bin/env node
// Memory per workload in node-agent mode (issue 15): one `trellis proxy` process serving N workloads
// (`--workload`, repeated), each with its own listeners, join token, certificate and snapshot, joined to
// the bench's stand-in control plane (bench/proxy/lib/stream-stub.mjs: the real stream protocol over TLS).
// Workload i calls workload i+1 (the last calls the first) over mutual TLS: STRICT inbounds, endpoints
// carrying the callee's SPIFFE ID, a retry policy, spans at sampling 1.0, metrics on. A load client in this
// process sends `--rate` requests a second in all, spread evenly over the workloads' outbound listeners;
// every request crosses the agent twice (caller's outbound, callee's STRICT inbound) and ends at one nginx.
//
//   node bench/node-agent/run.mjs [--counts 1,10,30,100,300] [--rate 1000] [--seconds 20]
//
// For each N it prints the agent's RSS at the end of the run, RSS / N, what each added workload cost over
// the previous N, and the V8 heap and external memory (from the agent's /metrics) to say where it went.
// `--heap-snapshots DIR` also writes a heap snapshot of each agent once idle and ready (before the load)
// and one right after the load (agent-n<N>-after-load.heapsnapshot), and prints, per added workload between the last two counts, the heap by constructor
// (heap-by-constructor.mjs): a reading the machine's CPU load does not distort.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, installCleanup, rssBytes, start, stop, stopAll } from '../proxy/lib/processes.mjs';
import { workloadId } from '../proxy/lib/mesh-ca.mjs';
import { startStreamStub } from '../proxy/lib/stream-stub.mjs';
import { startUpstream } from '../proxy/lib/upstream.mjs';
import { ensureBuilt } from '../../apps/cli/bin/build.mjs';
import { workloadSnapshot } from './snapshot.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = `usage: node bench/node-agent/run.mjs [options]
  --counts LIST   workload counts to measure, one agent each (default 1,10,30,100,300)
  --rate N        requests a second over all workloads (default 1000)
  --seconds S     seconds of load per count; RSS is read at the end (default 20)
  --keep          keep the temp dir with the agents' logs
  --cpu-prof DIR  write a V8 CPU profile of each agent into DIR (open it in Chrome DevTools)
  --heap-snapshots DIR  write heap snapshots of each agent, idle and after the load, into DIR
                  (taking one inflates the RSS read after it: compare RSS from runs without)
  --idle          measure idle agents only (no load)
  -h, --help`;
const log = (line) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const t0 = Date.now();

function options() {
  const { values } = parseArgs({
    options: {
      counts: { type: 'string', default: '1,10,30,100,300' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'heap-snapshots': { type: 'string' },
      idle: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const counts = values.counts.split(',').map(Number);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const bad = (what) => {
    log(`${what}\n${USAGE}`);
    process.exit(2);
  };
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) bad('--counts must be whole numbers from 1 to 1000');
  if (!Number.isInteger(rate) || rate < 1 || rate > 20_000) bad('--rate must be a whole number from 1 to 20000');
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 600) bad('--seconds must be a whole number from 5 to 600');
  const heapDir = values['heap-snapshots'] && path.resolve(values['heap-snapshots']);
  return { counts, rate, seconds, keep: values.keep, idle: values.idle, heapDir, cpuProf: values['cpu-prof'] && path.resolve(values['cpu-prof']) };
}

/** Sum of a labelled counter's samples whose labels include `match` (e.g. 'side="outbound",result="ok"'). */
const metricSum = (text, name, match) => {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) if (m[1].includes(match)) sum += Number(m[2]);
  return sum;
};
const metric = (text, name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

async function waitReady(adminPort, child, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (child.exitCode !== null) throw new Error(`the agent exited: ${child.lastLines.at(-1) ?? 'no output'}`);
    if (Date.now() > until) throw new Error(`the agent was not ready within ${timeoutMs / 1000} s: ${child.lastLines.at(-1) ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sends `rate` requests a second for `seconds`, round-robin over the outbound ports; counts answers. */
async function load(workloads, rate, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const tally = { ok: 0, failed: 0, firstFailure: undefined };
  const fail = (why) => {
    tally.failed++;
    tally.firstFailure ??= why;
  };
  const inFlight = new Set();
  let next = 0;
  const tickMs = 10;
  const perTick = rate / (1000 / tickMs);
  let owed = 0;
  const until = Date.now() + seconds * 1000;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() >= until) {
        clearInterval(timer);
        resolve();
        return;
      }
      owed += perTick;
      for (; owed >= 1; owed--) {
        const w = workloads[next++ % workloads.length];
        const p = new Promise((done) => {
          const req = http.get({ host: '127.0.0.1', port: w.outboundPort, path: '/', headers: { host: w.calls }, agent, timeout: 5000 }, (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? tally.ok++ : fail(`${res.statusCode} ${res.headers['x-trellis-reason'] ?? ''}`), done()));
          });
          req.on('timeout', () => req.destroy(new Error('timed out')));
          req.on('error', (err) => (fail(err.message), done()));
        });
        inFlight.add(p);
        p.then(() => inFlight.delete(p));
      }
    }, tickMs);
  });
  await Promise.all(inFlight);
  agent.destroy();
  return tally;
}

async function measure(n, opts, dir, upstreamPort) {
  const stream = await startStreamStub();
  const own = path.join(dir, `n${n}`);
  mkdirSync(own, { recursive: true });
  try {
    const workloads = [];
    for (let i = 0; i < n; i++) workloads.push({ service: `w${i}`, inboundPort: await freePort(), outboundPort: await freePort() });
    const nodeFlags = opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf, '--cpu-prof-name', `agent-n${n}.cpuprofile`] : [];
    const heapTmp = opts.heapDir && path.join(opts.heapDir, `.n${n}`);
    if (heapTmp) {
      mkdirSync(heapTmp, { recursive: true });
      nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapTmp}`);
    }
    const args = [...nodeFlags, path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'proxy', '--control-plane', stream.url, '--data-dir', path.join(own, 'data')];
    const adminPort = await freePort();
    args.push('--admin-port', String(adminPort));
    for (const [i, w] of workloads.entries()) {
      const callee = workloads[(i + 1) % n];
      w.calls = callee.service;
      stream.snapshots.set(w.service, workloadSnapshot({ service: w.service, calls: { service: callee.service, port: callee.inboundPort, identity: workloadId(callee.service) } }));
      const tokenFile = path.join(own, `${w.service}.token`);
      writeFileSync(tokenFile, `${stream.tokenFor(w.service)}\n`, { mode: 0o600 });
      args.push('--workload', `service=${w.service},app-port=${upstreamPort},inbound-port=${w.inboundPort},outbound-port=${w.outboundPort},token-file=${tokenFile}`);
    }
    const startedAt = Date.now();
    const child = start(process.execPath, args, { cwd: repoRoot, logFile: path.join(own, 'agent.log') });
    try {
      await waitReady(adminPort, child, 60_000 + n * 500);
      const readyMs = Date.now() - startedAt;
      // Idle: let start-up garbage settle (the first reports, renewals timers armed) before reading.
      await new Promise((r) => setTimeout(r, 3000));
      const idleRss = rssBytes(child.pid);
      const idleText = await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text(), () => '');
      log(`N=${n}: ready in ${(readyMs / 1000).toFixed(1)} s (${stream.counts.certificates} certificates issued), RSS idle ${(idleRss / 2 ** 20).toFixed(1)} MB` + (opts.idle ? '' : `; ${opts.rate} req/s for ${opts.seconds} s`));
      const heapSnapshot = async (name) => {
        if (!heapTmp) return;
        process.kill(child.pid, 'SIGUSR2');
        // The snapshot is written on the agent's main thread: /ready answers once it is on disk.
        await new Promise((r) => setTimeout(r, 500));
        await waitReady(adminPort, child, 600_000);
        const [file] = readdirSync(heapTmp).filter((f) => f.endsWith('.heapsnapshot'));
        if (file) renameSync(path.join(heapTmp, file), path.join(opts.heapDir, name));
      };
      await heapSnapshot(`agent-n${n}.heapsnapshot`);
      const tally = opts.idle ? { ok: 0, failed: 0 } : await load(workloads, opts.rate, opts.seconds);
      const rss = opts.idle ? idleRss : rssBytes(child.pid);
      const text = opts.idle ? idleText : await fetch(`http://127.0.0.1:${adminPort}/metrics`).then((r) => r.text(), () => '');
      // What is still live right after the load (a snapshot collects garbage first).
      if (!opts.idle) await heapSnapshot(`agent-n${n}-after-load.heapsnapshot`);
      if (heapTmp) rmSync(heapTmp, { recursive: true, force: true });
      const result = {
        n,
        readyMs,
        idleRss,
        rss,
        idleHeapUsed: metric(idleText, 'trellis_proxy_nodejs_heap_size_used_bytes'),
        idleExternal: metric(idleText, 'trellis_proxy_nodejs_external_memory_bytes'),
        idleArrayBuffers: metric(idleText, 'trellis_proxy_nodejs_array_buffers_bytes'),
        idleResources: metric(idleText, 'trellis_proxy_nodejs_active_resources'),
        heapUsed: metric(text, 'trellis_proxy_nodejs_heap_size_used_bytes'),
        heapTotal: metric(text, 'trellis_proxy_nodejs_heap_size_total_bytes'),
        external: metric(text, 'trellis_proxy_nodejs_external_memory_bytes'),
        // New mTLS connections between workloads during the load: with keep-alive pools a handful per
        // workload; one per request when cancelled requests cost their connections (the spiral).
        handshakes: metricSum(text, 'trellis_tls_handshakes_total', 'side="outbound",result="ok"') - metricSum(idleText, 'trellis_tls_handshakes_total', 'side="outbound",result="ok"'),
        cpuSeconds: metric(text, 'trellis_proxy_process_cpu_seconds_total') - metric(idleText, 'trellis_proxy_process_cpu_seconds_total'),
        ok: tally.ok,
        failed: tally.failed,
        firstFailure: tally.firstFailure,
      };
      if (!opts.idle) log(
        `N=${n}: RSS ${(rss / 2 ** 20).toFixed(1)} MB under load, ${tally.ok} ok, ${tally.failed} failed${tally.firstFailure ? ` (first: ${tally.firstFailure})` : ''}; ` +
          `stand-in: ${stream.counts.hellos} hellos (${n} without reconnections), ${stream.counts.metricReports} metric reports, ${stream.counts.spans} spans`,
      );
      return result;
    } finally {
      await stop(child, opts.cpuProf ? 60_000 : 2000); // a profile is written only on a clean exit
    }
  } finally {
    stream.close();
  }
}

async function main() {
  const opts = options();
  installCleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-node-agent-'));
  try {
    // The launcher would otherwise rebuild a stale bundle inside the agent's own process (and its RSS).
    await ensureBuilt({ log: () => {} });
    const upstream = await startUpstream({ dir });
    const results = [];
    for (const n of opts.counts) results.push(await measure(n, opts, dir, upstream.port));
    const mb = (b) => (b / 2 ** 20).toFixed(1);
    const perAdded = (r, i, field, unit = 2 ** 20, digits = 2) => {
      const prev = results[i - 1];
      return prev ? ((r[field] - prev[field]) / (r.n - prev.n) / unit).toFixed(digits) : '';
    };
    console.log(`\nnode agent idle (ready, no traffic); load average ${os.loadavg()[0].toFixed(1)}`);
    console.log('| workloads | idle RSS (MB) | RSS / workload (MB) | each added workload: RSS (MB) | heap used (KB) | external (KB) | of which array buffers (KB) | active handles |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [i, r] of results.entries()) {
      console.log(
        `| ${r.n} | ${mb(r.idleRss)} | ${mb(r.idleRss / r.n)} | ${perAdded(r, i, 'idleRss')} | ${perAdded(r, i, 'idleHeapUsed', 1024, 0)} | ${perAdded(r, i, 'idleExternal', 1024, 0)} | ${perAdded(r, i, 'idleArrayBuffers', 1024, 0)} | ${perAdded(r, i, 'idleResources', 1, 1)} |`,
      );
    }
    if (!opts.idle) {
      console.log(`\nnode agent, mTLS between workloads, ${opts.rate} req/s over all workloads for ${opts.seconds} s; load average ${os.loadavg()[0].toFixed(1)}`);
      console.log('| workloads | RSS under load (MB) | RSS / workload (MB) | each added workload (MB) | V8 heap used / total (MB) | external (MB) | req/s answered | failed | mTLS connections made | agent CPU per request (µs) |');
      console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const [i, r] of results.entries()) {
        console.log(`| ${r.n} | ${mb(r.rss)} | ${mb(r.rss / r.n)} | ${perAdded(r, i, 'rss')} | ${mb(r.heapUsed)} / ${mb(r.heapTotal)} | ${mb(r.external)} | ${Math.round(r.ok / opts.seconds)} | ${r.failed} | ${r.handshakes} | ${r.ok ? Math.round((r.cpuSeconds * 1e6) / r.ok) : ''} |`);
      }
    }
    const snapshots = opts.heapDir ? results.map((r) => path.join(opts.heapDir, `agent-n${r.n}.heapsnapshot`)).filter((f) => existsSync(f)) : [];
    if (snapshots.length >= 2) {
      console.log('\nwhere an added workload goes in the V8 heap (idle agents, self size by constructor):');
      console.log(execFileSync(process.execPath, [path.join(repoRoot, 'bench/node-agent/heap-by-constructor.mjs'), ...snapshots.slice(-2)], { encoding: 'utf8', maxBuffer: 2 ** 26 }));
    }
  } finally {
    await stopAll();
    if (opts.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  log(`node-agent bench failed: ${err.message}`);
  await stopAll();
  process.exit(1);
});
