// What the live graph costs to serve: bytes per viewer per second, and the control plane's CPU while it
// serves 1 and 100 live subscriptions, on the graph-scale bench's mesh (500 services, 2,000 edges).
//
//   npm run bench:graph-live -- [--services 500] [--edges 2000] [--viewers 100] [--seconds 70] [--port 0]
//
// A real control plane (its own process, embedded PGlite) gets 500 Service resources; one simulated proxy
// per service (the real StreamClient) reports its edges every second. Viewers are graph.live subscriptions
// over server-sent events, as the dashboard's (namespace: all, window 10 s, routes: false), read raw so
// every byte on the wire is counted. Each viewer's bytes are counted from 10 s after it subscribed (its
// first whole graph is a page load, not steady state) over `seconds`, which with the default 70 s holds
// each viewer's one resync a minute. CPU is the control plane's user+system time from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { applyLiveGraphMessage, liveGraphMessageSchema } from '@trellis/shared';
import { waitForLine } from '../lib/wait-for-line.ts';
import { syntheticMesh } from './mesh.ts';
import { reportMeshTraffic } from './reporters.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '500' },
    edges: { type: 'string', default: '2000' },
    namespaces: { type: 'string', default: '10' },
    viewers: { type: 'string', default: '100' },
    /** Steady-state seconds measured per phase (after each viewer's first 10 s). */
    seconds: { type: 'string', default: '70' },
    port: { type: 'string', default: '0' },
  },
});
const SERVICES = Number(values.services);
const EDGES = Number(values.edges);
const NAMESPACES = Math.max(1, Number(values.namespaces));
const VIEWERS = Number(values.viewers);
const SECONDS = Number(values.seconds);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BOOTSTRAP_TOKEN = 'trb_bench-graph-live-token-0123456789';
const namespaceOf = (i: number) => (NAMESPACES === 1 ? 'default' : `team-${i % NAMESPACES}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) the process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** One dashboard's graph.live, read raw: bytes on the wire, messages, and (when it speaks deltas) the graph rebuilt from them. */
class Viewer {
  bytes = 0;
  messages = 0;
  fulls = 0;
  gaps = 0;
  edges = 0;
  private countFrom = Infinity;
  private readonly abort = new AbortController();
  private held: ReturnType<typeof applyLiveGraphMessage> = null;
  readonly done: Promise<void>;

  /** `check`: parse, validate and apply every message (one viewer does; the rest only count, so the bench's own CPU stays small). */
  constructor(
    url: string,
    private readonly check: boolean,
  ) {
    const input = encodeURIComponent(JSON.stringify({ windowSeconds: 10, routes: false }));
    this.done = this.read(`${url}/trpc/graph.live?input=${input}`).catch((err: unknown) => {
      if (!this.abort.signal.aborted) throw err;
    });
  }

  /** Counts from now on. */
  startCounting(): void {
    this.countFrom = 0;
    this.bytes = 0;
    this.messages = 0;
    this.fulls = 0;
  }

  private async read(url: string): Promise<void> {
    const res = await fetch(url, { headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, accept: 'text/event-stream' }, signal: this.abort.signal });
    if (!res.ok || !res.body) throw new Error(`graph.live: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      if (this.countFrom === 0) this.bytes += chunk.byteLength;
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (!data || event.includes('event: connected') || event.includes('event: ping')) continue;
        if (this.check) this.onMessage(JSON.parse(data) as unknown);
        else {
          this.messages++;
          if (!data.startsWith('{"type":"delta"')) this.fulls++;
        }
      }
    }
  }

  private onMessage(data: unknown): void {
    this.messages++;
    const msg = liveGraphMessageSchema.safeParse(data);
    // The graph before deltas: a whole ServiceGraph every message.
    if (!msg.success) {
      this.fulls++;
      this.edges = (data as { edges?: unknown[] }).edges?.length ?? 0;
      return;
    }
    if (msg.data.type === 'full') this.fulls++;
    this.held = applyLiveGraphMessage(this.held, msg.data);
    if (!this.held) this.gaps++;
    this.edges = this.held?.graph.edges.length ?? 0;
  }

  close(): void {
    this.abort.abort();
  }
}

async function phase(url: string, pid: number, n: number): Promise<{ n: number; bytesPerViewerSecond: number; cpuPerSecond: number; messages: number; fulls: number; gaps: number; edges: number; rss: number }> {
  const viewers = Array.from({ length: n }, (_, i) => new Viewer(url, i === 0));
  await sleep(10_000);
  for (const v of viewers) v.startCounting();
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const rss = rssMb(pid);
  for (const v of viewers) v.close();
  await Promise.all(viewers.map((v) => v.done));
  const sum = (f: (v: Viewer) => number) => viewers.reduce((s, v) => s + f(v), 0);
  return {
    n,
    bytesPerViewerSecond: n ? sum((v) => v.bytes) / n / elapsed : 0,
    cpuPerSecond: cpu / elapsed,
    messages: n ? sum((v) => v.messages) / n : 0,
    fulls: n ? sum((v) => v.fulls) / n : 0,
    gaps: sum((v) => v.gaps),
    edges: viewers[0]?.edges ?? 0,
    rss,
  };
}

async function main() {
  const mesh = syntheticMesh(SERVICES, EDGES, namespaceOf);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-graph-live-'));
  let traffic: Awaited<ReturnType<typeof reportMeshTraffic>> | undefined;
  let cp: ChildProcess | undefined;
  try {
    console.log(`starting a control plane (PGlite in ${dataDir}) ...`);
    cp = spawn(process.execPath, [path.join(root, 'apps/cli/bin/trellis.mjs'), 'control-plane', '--port', values.port, '--data-dir', dataDir], {
      env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = (await waitForLine(cp, /listening on (http:\/\/[\d.:]+)/, 'the control plane', 180_000))[1] ?? '';
    const pid = cp.pid ?? 0;
    const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, maxItems: 50, headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } })] });
    await Promise.all(mesh.names.map((name, i) => api.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name, namespace: namespaceOf(i) }, spec: {} } })));

    traffic = await reportMeshTraffic(url, mesh, namespaceOf, BOOTSTRAP_TOKEN);
    console.log(`${traffic.proxies} proxies report ${EDGES} edges every second; waiting for a full window ...`);
    await sleep(11_000);
    const whole = await api.graph.get.query({ windowSeconds: 10, routes: false });
    const wholeBytes = JSON.stringify(whole).length;
    console.log(`graph.get (routes: false): ${whole.nodes.length} nodes, ${whole.edges.length} edges, ${(wholeBytes / 1e3).toFixed(0)} KB`);

    const results = [];
    for (const n of [0, 1, VIEWERS]) {
      console.log(`${n} viewer${n === 1 ? '' : 's'}: ${n ? 10 + SECONDS : SECONDS} s ...`);
      results.push(n ? await phase(url, pid, n) : await (async () => {
        const cpu0 = cpuSeconds(pid);
        const t0 = performance.now();
        await sleep(SECONDS * 1000);
        const elapsed = (performance.now() - t0) / 1000;
        return { n, bytesPerViewerSecond: 0, cpuPerSecond: (cpuSeconds(pid) - cpu0) / elapsed, messages: 0, fulls: 0, gaps: 0, edges: 0, rss: rssMb(pid) };
      })());
    }
    const base = results[0]?.cpuPerSecond ?? 0;
    console.log(`\ngraph.live at ${SERVICES} services / ${whole.edges.length} edges (${NAMESPACES} namespaces), ${SECONDS} s steady state per phase, ${os.cpus().length}-core machine, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log('| viewers | bytes per viewer per second | messages per viewer (whole graphs) | control plane CPU, s/s (above no viewers) | control plane RSS |');
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      const kb = r.n ? `**${(r.bytesPerViewerSecond / 1e3).toFixed(1)} KB/s**` : '–';
      const msgs = r.n ? `${r.messages.toFixed(0)} (${r.fulls.toFixed(1)})${r.gaps ? `, ${r.gaps} gaps` : ''}; first viewer's graph: ${r.edges} edges` : '–';
      console.log(`| ${r.n} | ${kb} | ${msgs} | ${r.cpuPerSecond.toFixed(3)}${r.n ? ` (+${(r.cpuPerSecond - base).toFixed(3)})` : ''} | ${r.rss.toFixed(0)} MB |`);
    }
    console.log(`\nGoal (issue 15): ≤ 50 KB/s per viewer at 500 services in steady state; 100 viewers on one control plane, CPU reported.`);
  } finally {
    await traffic?.stop();
    if (cp && cp.exitCode === null) {
      cp.kill('SIGTERM');
      await new Promise((r) => cp?.once('exit', r));
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
