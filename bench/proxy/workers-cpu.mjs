#!/usr/bin/env node
// What `trellis proxy --workers N` costs in CPU, process by process: the one-hop bench proxy (joined to
// the stand-in control plane, spans at sampling 1.0, metrics on) at fixed rates, with the CPU time
// (/proc utime + stime) of the primary and of each worker per 1,000 requests. CPU per request moves less
// than throughput on a busy machine; run.mjs --only trellis,trellis-2w measures max throughput.
//
//   node bench/proxy/workers-cpu.mjs [--workers 1,2] [--rates 500,1000,2000] [--seconds 8]
import { readFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFixedRate, runWrk } from './lib/load.mjs';
import { installCleanup, stop, stopAll } from './lib/processes.mjs';
import { startStreamStub } from './lib/stream-stub.mjs';
import { CALLER_SERVICE, UPSTREAM_SERVICE, benchSnapshot } from './lib/trellis-snapshot.mjs';
import { startTrellisProxy } from './lib/trellis-proxy.mjs';
import { startUpstream } from './lib/upstream.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    rates: { type: 'string', default: '500,1000,2000' },
    seconds: { type: 'string', default: '8' },
  },
});
const list = (text) => text.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const seconds = Number(values.seconds);

/** The node processes under `pid` (the launcher's child is the proxy; cluster workers are its children). */
function descendants(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry), ...descendants(Number(entry)));
    } catch {
      /* exited */
    }
  }
  return out;
}
/**
 * CPU seconds (utime + stime) of one process alone, from its own /proc/<pid>/stat: cpuSeconds sums a
 * whole tree, and subtracting every descendant's tree counted grandchildren twice.
 */
function ownCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14, 15 of stat; USER_HZ is 100 on Linux
  } catch {
    return 0; // exited
  }
}

installCleanup();
const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-workers-cpu-'));
const upstream = await startUpstream({ dir });
const rows = [];
for (const workers of list(values.workers)) {
  const stream = await startStreamStub();
  stream.snapshots.set(CALLER_SERVICE, benchSnapshot({ upstreamPort: upstream.port }));
  const proxy = await startTrellisProxy({
    dir, name: `w${workers}`, service: CALLER_SERVICE, stream, appPort: upstream.port, repoRoot,
    trellisBin: path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), ...(workers > 1 ? { workers } : {}),
  }); // prettier-ignore
  const url = `http://127.0.0.1:${proxy.ports.outbound}/`;
  await runWrk({ url, host: UPSTREAM_SERVICE, connections: 20, seconds: 3 }); // warm the JIT of every worker
  for (const rate of list(values.rates)) {
    const pids = [proxy.pid, ...descendants(proxy.pid)];
    const before = new Map(pids.map((pid) => [pid, ownCpu(pid)]));
    const r = await runFixedRate({ url, host: UPSTREAM_SERVICE, rate, seconds, discardSeconds: 0, clients: 10, logFile: path.join(dir, 'h2load.log') });
    const per1k = pids.map((pid) => (ownCpu(pid) - (before.get(pid) ?? 0)) / (r.requests / 1000)).filter((v) => v > 0.0005);
    const total = per1k.reduce((a, b) => a + b, 0);
    rows.push({ workers, rate, requests: r.requests, p99Ms: r.p99Ms, total, each: per1k });
    process.stderr.write(`workers ${workers}, ${rate} req/s: ${total.toFixed(3)} CPU s per 1,000 requests (${per1k.map((v) => v.toFixed(3)).join(' + ')}), p99 ${r.p99Ms.toFixed(2)} ms\n`);
  }
  await stop(proxy.child);
  stream.close();
}
await stopAll();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\n| workers | req/s | CPU s per 1,000 requests, all processes | by process (launcher/primary first) | p99 ms |\n|---:|---:|---:|---|---:|\n`);
for (const row of rows) process.stdout.write(`| ${row.workers} | ${row.rate} | ${row.total.toFixed(3)} | ${row.each.map((v) => v.toFixed(3)).join(' + ')} | ${row.p99Ms.toFixed(2)} |\n`);
process.stdout.write(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
process.exit(0);
