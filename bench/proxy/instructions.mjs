#!/usr/bin/env node
// Instructions per request of `trellis proxy` (one hop, joined to the stand-in control plane, spans at
// sampling 1.0, metrics on: the bench config), counted by valgrind's callgrind over a fixed number of
// requests. Unlike time or CPU time, the count does not move with whatever else the machine runs, so
// two builds can be compared on a busy machine, one after the other.
//
//   node bench/proxy/instructions.mjs --bin /tmp/before/apps/cli/bin/trellis.mjs --bin apps/cli/bin/trellis.mjs
//
// Each build: the proxy starts under callgrind, takes --warmup requests (the JIT settles), the counters
// are zeroed, it takes --requests more (h2load, HTTP/1.1, fixed connections), and the counters are
// dumped: instructions of every thread of the process (JIT, GC helpers included) over those requests.
// Needs valgrind (callgrind_control) and h2load. About 3-6 minutes per build at the defaults.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, runToEnd, stop, stopAll } from './lib/processes.mjs';
import { startStreamStub } from './lib/stream-stub.mjs';
import { CALLER_SERVICE, UPSTREAM_SERVICE, benchSnapshot } from './lib/trellis-snapshot.mjs';
import { counterSum, get, startTrellisProxy } from './lib/trellis-proxy.mjs';
import { startUpstream } from './lib/upstream.mjs';

const USAGE = `usage: node bench/proxy/instructions.mjs --bin LAUNCHER [--bin LAUNCHER ...] [options]
  --bin F            a trellis launcher (apps/cli/bin/trellis.mjs); repeat to compare builds
  --warmup N         requests before counting (default 20000)
  --requests N       requests counted (default 20000)
  --connections N    h2load connections (default 20)
  --idle-seconds S   after the count, also count S seconds with no load (default 0: not) and show the
                     count less that rate times the run's duration (see below: not the figure to use)
  -h, --help`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const log = (line) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      bin: { type: 'string', multiple: true },
      warmup: { type: 'string', default: '20000' },
      requests: { type: 'string', default: '20000' },
      connections: { type: 'string', default: '20' },
      'idle-seconds': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.bin?.length) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return { bins: values.bin.map((b) => path.resolve(b)), warmup: Number(values.warmup), requests: Number(values.requests), connections: Number(values.connections), idleSeconds: Number(values['idle-seconds']) };
}

/**
 * Sends `n` requests through the proxy's outbound listener; resolves with how many did not get a 2xx.
 * Under callgrind the proxy is ~100 times slower, so the odd request can outlast the bench route's 2 s
 * per-try timeout and come back 504 after its retries: a few are reported, more than 1 % is a failure.
 */
async function load(port, n, connections) {
  const args = ['--h1', '-n', String(n), '-c', String(connections), '-H', `:authority: ${UPSTREAM_SERVICE}`, `http://127.0.0.1:${port}/`];
  const result = await runToEnd('h2load', args, { timeoutMs: 3_600_000 });
  const ok = /status codes: (\d+) 2xx/.exec(result.output);
  const failed = ok ? n - Number(ok[1]) : n;
  if (failed > n / 100) throw new Error(`h2load: ${failed} of ${n} requests did not get a 2xx:\n${result.output}`);
  return failed;
}

/** callgrind_control on the proxy's process; throws when it fails. */
function control(flag, pid) {
  const result = spawnSync('callgrind_control', [flag, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${flag} ${pid}: ${result.stderr || result.stdout}`);
}

/** The instruction total of a dump callgrind wrote for `pid` in `dir` that is not in `seen` (which it joins). */
async function dumpedInstructions(dir, pid, seen) {
  for (let i = 0; i < 600; i++) {
    const dumps = readdirSync(dir).filter((f) => f.startsWith(`callgrind.out.${pid}.`) && !seen.has(f));
    for (const file of dumps) {
      const total = /^(?:totals|summary): (\d+)/m.exec(readFileSync(path.join(dir, file), 'utf8'));
      if (total) {
        seen.add(file);
        return Number(total[1]);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no callgrind dump for ${pid} in ${dir}`);
}

async function main() {
  const opts = options();
  installCleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-instructions-'));
  const results = [];
  try {
    const upstream = await startUpstream({ dir });
    const stream = await startStreamStub();
    stream.snapshots.set(CALLER_SERVICE, benchSnapshot({ upstreamPort: upstream.port }));
    for (const [i, bin] of opts.bins.entries()) {
      const name = `build${i + 1}`;
      log(`${name}: starting ${bin} under callgrind`);
      const wrapper = [
        'valgrind', '--tool=callgrind', '--trace-children=no',
        // V8 writes machine code into the heap and rewrites it: callgrind must notice.
        '--smc-check=all-non-file',
        `--callgrind-out-file=${path.join(dir, `callgrind.out.%p.${name}`)}`,
        // Only the totals are wanted: no per-function dumps at exit.
        '--dump-instr=no', '--dump-line=no',
      ]; // prettier-ignore
      const proxy = await startTrellisProxy({ dir, name, service: CALLER_SERVICE, stream, repoRoot, trellisBin: bin, wrapper });
      // No single test request first: under callgrind the first one takes longer than get() waits; the
      // warm-up checks that every answer is a 2xx.
      const t0 = Date.now();
      const warmupFailed = await load(proxy.ports.outbound, opts.warmup, opts.connections);
      log(`${name}: ${opts.warmup} warm-up requests in ${((Date.now() - t0) / 1000).toFixed(0)} s (${warmupFailed} not 2xx)`);
      control('--zero', proxy.pid);
      const t1 = Date.now();
      const failed = await load(proxy.ports.outbound, opts.requests, opts.connections);
      const seconds = (Date.now() - t1) / 1000;
      control('--dump', proxy.pid);
      const seen = new Set();
      const instructions = await dumpedInstructions(dir, proxy.pid, seen);
      // The proxy's timers (metrics report, span batches, heartbeats) run per second, not per request,
      // and a run lasts longer when the machine is busier. Taking an idle rate off over-corrects, though:
      // idle, V8 also does its idle-time GC work, which a loaded proxy does not. Two runs of one build at
      // 158 s and 203 s counted 327,652 and 326,814 per request (0.3 % apart), 296,200 and 286,337 with
      // the idle rate taken off (3.4 % apart): the raw count is the figure to compare.
      let idlePerSecond = 0;
      if (opts.idleSeconds > 0) {
        control('--zero', proxy.pid);
        const i0 = Date.now();
        await new Promise((r) => setTimeout(r, opts.idleSeconds * 1000));
        control('--dump', proxy.pid);
        idlePerSecond = (await dumpedInstructions(dir, proxy.pid, seen)) / ((Date.now() - i0) / 1000);
      }
      const metrics = await get(proxy.ports.admin, '/metrics').catch(() => ({ body: '' }));
      const perRequest = instructions / opts.requests;
      const net = (instructions - idlePerSecond * seconds) / opts.requests;
      results.push({ name, bin, perRequest, net, idlePerSecond, seconds, failed, counted: counterSum(metrics.body, 'trellis_requests_total') });
      log(
        `${name}: ${perRequest.toFixed(0)} instructions/request (${opts.requests} requests in ${seconds.toFixed(0)} s, ${failed} not 2xx); ` +
          `idle ${idlePerSecond.toFixed(0)}/s, so ${net.toFixed(0)} per request without the idle rate`,
      );
      await stop(proxy.child, 10_000);
    }
    console.log(`\ninstructions per request (callgrind, ${opts.requests} requests after ${opts.warmup} warm-up, ${opts.connections} connections):`);
    const first = results[0];
    for (const r of results) {
      console.log(
        `  ${r.name} ${Math.round(r.perRequest)}, ${Math.round(r.net)} without the idle rate (x${(r.net / first.net).toFixed(3)} of build1; ` +
          `run ${r.seconds.toFixed(0)} s, idle ${Math.round(r.idlePerSecond)}/s; ${r.failed} not 2xx; ${r.counted} requests in /metrics)  ${r.bin}`,
      );
    }
    stream.close();
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  log(`instructions bench failed: ${err.message}`);
  await stopAll();
  process.exit(1);
});
