#!/usr/bin/env node
// Before/after of a hot-path change on a machine that is not quiet: two builds of `trellis proxy` (one
// hop, joined to the stand-in control plane, spans at sampling 1.0, metrics on) take turns under the
// same wrk load, round after round, and the figure compared is the proxy's own CPU time per request
// (/proc utime + stime over requests served). Max throughput moves with whatever else runs; CPU per
// request moves much less, and alternating the two builds spreads the rest of the noise over both.
//
//   node bench/proxy/ab.mjs --before /tmp/before/apps/cli/bin/trellis.mjs [--after apps/cli/bin/trellis.mjs] [--paired]
//
// --paired, for a machine others are using: both builds pinned to the same core and loaded at the same
// time by two wrk on the other core, so whatever else runs disturbs both alike. Taking turns, rounds of
// the same build (A/A) differed by 0.75-1.66x at load average 6 on 2 cores; paired, by 0.98-1.01x.
//
// --before floor (or floor+headers, floor+mesh, floor+cap) puts the node+undici floor in the place of the "before" build. Paired,
// this is issue 15's throughput goal read without the host's drift: both proxies share one core through
// the same seconds, so their req/s ratio is their CPU-per-request ratio, whereas run.mjs measures the
// floor and Trellis one after the other, and a core here changes speed by up to 1.7x from minute to minute.
//
// Build "before" from the parent commit in a worktree of its own (`git worktree add /tmp/before <commit>`,
// `npm install`, `node apps/cli/bin/build.mjs`); each launcher runs the bundle of its own checkout.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nodeFloor } from './lib/floor-targets.mjs';
import { median } from './lib/report.mjs';
import { runWrk } from './lib/load.mjs';
import { cpuSeconds, installCleanup, pinningPlan, stop, stopAll } from './lib/processes.mjs';
import { startSpanSink } from './lib/span-sink.mjs';
import { startStreamStub } from './lib/stream-stub.mjs';
import { CALLER_SERVICE, UPSTREAM_SERVICE, benchSnapshot } from './lib/trellis-snapshot.mjs';
import { counterSum, get, startTrellisProxy } from './lib/trellis-proxy.mjs';
import { startUpstream } from './lib/upstream.mjs';

const USAGE = `usage: node bench/proxy/ab.mjs --before LAUNCHER [options]
  --before F         the trellis launcher (apps/cli/bin/trellis.mjs) of the build to compare against, or
                     \`floor\`: the node+undici floor (what issue 15's throughput goal is measured against), or
                     \`floor+headers\`: the floor doing a correct proxy's header work (its --proxy-headers),
                     \`floor+mesh\`: that, plus what a mesh proxy must do per request under issue 15's conditions
                     (its --mesh: routing, cancellation, per-route counts, spans sent over TLS), or
                     \`floor+cap\`: the bare floor with Trellis's young generation (2 x 4 MB semi-spaces)
  --after F          the build under test (default: this checkout's apps/cli/bin/trellis.mjs)
  --rounds N         rounds; each runs both builds, in alternating order (default 6)
  --seconds S        seconds of wrk load per build per round (default 5)
  --connections N    wrk connections (default 20; each build's, with --paired)
  --paired           both builds on one core, loaded at the same time (needs 2 cores and taskset)
  -h, --help`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const log = (line) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      after: { type: 'string', default: path.join(repoRoot, 'apps/cli/bin/trellis.mjs') },
      rounds: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '20' },
      paired: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.before) {
    log(`--before is required: the launcher of the build to compare against\n${USAGE}`);
    process.exit(2);
  }
  const number = (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) {
      log(`--${name} must be a whole number from ${min} to ${max}\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  return {
    builds: [
      { name: 'before', bin: FLOORS.has(values.before) ? values.before : path.resolve(values.before) },
      { name: 'after', bin: FLOORS.has(values.after) ? values.after : path.resolve(values.after) },
    ],
    rounds: number('rounds', 1, 100),
    seconds: number('seconds', 1, 120),
    connections: number('connections', 1, 1000),
    paired: values.paired,
  };
}

/** What --before/--after take instead of a launcher: the floor, bare or with a proxy's header work. */
const FLOORS = new Set(['floor', 'floor+headers', 'floor+mesh', 'floor+cap']);

/**
 * The node+undici floor, shaped like a started Trellis proxy for the rounds below (no admin port).
 * floor+mesh sends its spans to a sink served next to the stand-in, with the stand-in's certificate.
 */
async function startFloorAsProxy(dir, build, upstreamPort, core, stream) {
  const own = path.join(dir, build.name);
  mkdirSync(own, { recursive: true });
  const benchDir = path.dirname(fileURLToPath(import.meta.url));
  let mesh;
  if (build.bin === 'floor+mesh') {
    build.sink = await startSpanSink(stream.ca.serving);
    mesh = path.join(own, 'mesh.json');
    const hosts = [UPSTREAM_SERVICE, `${UPSTREAM_SERVICE}.default`];
    writeFileSync(mesh, JSON.stringify({ sink: { url: build.sink.url, ca: stream.ca.rootPem }, service: `${UPSTREAM_SERVICE}.default`, hosts }));
  }
  // floor+cap: the young generation Trellis keeps (two 4 MB semi-spaces: @trellis/shared's capYoungGeneration).
  const nodeFlags = build.bin === 'floor+cap' ? ['--max-semi-space-size=4'] : [];
  const { child, port, pid } = await nodeFloor.start({ dir: own, benchDir, upstreamPort, core, proxyHeaders: build.bin === 'floor+headers', mesh, nodeFlags });
  return { child, pid, ports: { outbound: port } };
}

async function main() {
  const opts = options();
  installCleanup();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-ab-'));
  const pinning = opts.paired ? pinningPlan() : null;
  if (opts.paired && !pinning) throw new Error('--paired needs 2 cores and taskset');
  try {
    const upstream = await startUpstream({ dir, core: pinning?.load });
    const stream = await startStreamStub();
    stream.snapshots.set(CALLER_SERVICE, benchSnapshot({ upstreamPort: upstream.port }));
    for (const build of opts.builds) {
      log(`${build.name}: starting ${build.bin}`);
      build.proxy =
        FLOORS.has(build.bin)
          ? await startFloorAsProxy(dir, build, upstream.port, pinning?.proxy, stream)
          : await startTrellisProxy({ dir, name: build.name, service: CALLER_SERVICE, stream, repoRoot, trellisBin: build.bin, core: pinning?.proxy });
      const seen = await get(build.proxy.ports.outbound, '/_bench/headers', UPSTREAM_SERVICE);
      if (seen.status !== 200) throw new Error(`${build.name}: a request through the proxy got ${seen.status}`);
      build.usPerRequest = [];
      build.rps = [];
    }
    const wrk = (build, seconds) =>
      runWrk({ url: `http://127.0.0.1:${build.proxy.ports.outbound}/`, host: UPSTREAM_SERVICE, connections: opts.connections, seconds, core: pinning?.load });
    // One measurement: the builds given, loaded at the same time; CPU per request and req/s of each.
    const measure = async (builds, seconds) => {
      const cpu0 = builds.map((build) => cpuSeconds(build.proxy.pid));
      const runs = await Promise.all(builds.map((build) => wrk(build, seconds)));
      builds.forEach((build, i) => {
        const run = runs[i];
        if (run.non2xx || run.socketErrors) log(`  ${build.name}: ${run.non2xx} non-2xx, ${run.socketErrors} socket errors`);
        build.usPerRequest.push(((cpuSeconds(build.proxy.pid) - cpu0[i]) / run.requests) * 1e6);
        build.rps.push(run.requestsPerSecond);
      });
    };
    // Warm-up: the JIT settles on this traffic before anything is counted.
    if (opts.paired) await Promise.all(opts.builds.map((build) => wrk(build, 3)));
    else for (const build of opts.builds) await wrk(build, 3);
    for (let round = 1; round <= opts.rounds; round++) {
      if (opts.paired) await measure(opts.builds, opts.seconds);
      else for (const build of round % 2 ? opts.builds : [...opts.builds].reverse()) await measure([build], opts.seconds);
      const [b, a] = opts.builds;
      log(
        `round ${round}/${opts.rounds}: before ${b.usPerRequest.at(-1).toFixed(1)} µs CPU/request (${Math.round(b.rps.at(-1))} req/s), ` +
          `after ${a.usPerRequest.at(-1).toFixed(1)} µs (${Math.round(a.rps.at(-1))} req/s); load average ${os.loadavg()[0].toFixed(1)}`,
      );
    }
    const [b, a] = opts.builds;
    for (const build of opts.builds) {
      if (FLOORS.has(build.bin)) continue;
      const text = await fetch(`http://127.0.0.1:${build.proxy.ports.admin}/metrics`).then((r) => r.text()).catch(() => '');
      build.counted = counterSum(text, 'trellis_requests_total');
    }
    const ratios = b.usPerRequest.map((x, i) => a.usPerRequest[i] / x);
    const how = opts.paired ? 'both builds on one core, loaded at the same time' : 'builds taking turns';
    console.log(`\nCPU per request, median of ${opts.rounds} rounds, ${how} (the proxy process only, /proc utime+stime):`);
    console.log(`  before ${median(b.usPerRequest).toFixed(1)} µs   after ${median(a.usPerRequest).toFixed(1)} µs`);
    console.log(`  after / before: median ${median(ratios).toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(3)).join(', ')})`);
    console.log(`max req/s, median: before ${Math.round(median(b.rps))}, after ${Math.round(median(a.rps))} (moves with other load; for reference)`);
    console.log(`requests each proxy counted in /metrics: before ${b.counted ?? '— (the floor has none)'}, after ${a.counted ?? '— (the floor has none)'}; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    // Spans each side sent, to show both at the rate admitted (2,000 a second each).
    const received = [`by the stand-in (Trellis builds together) ${stream.counts.spans} in ${stream.counts.spanMessages} messages`];
    for (const x of opts.builds) if (x.sink) received.push(`by ${x.name}'s sink (floor+mesh) ${x.sink.counts.spans} in ${x.sink.counts.spanMessages}, and ${x.sink.counts.metricReports} metric reports`);
    console.log(`spans received ${received.join('; ')}`);
    for (const build of opts.builds) build.sink?.close();
    for (const build of opts.builds) await stop(build.proxy.child);
    stream.close();
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err) => {
  log(`ab bench failed: ${err.message}`);
  await stopAll();
  process.exit(1);
});
