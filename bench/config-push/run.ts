// Config push benchmark: N simulated proxies on the real stream of a real control plane (its own
// process, embedded PGlite), one change that touches all of them, and how long until each has it.
//
//   npm run bench:config-push -- [--proxies 1000] [--services 100] [--rounds 3] [--shards N] [--connect-rate 250] [--cp-prof DIR] [--clients-prof DIR] [--cp-memory]
//
// Every proxy is a real StreamClient (the module the proxy uses) on its own TLS stream, and ACKs the
// snapshot once it holds it. The clients live in `--shards` child processes (clients.ts; default one per
// 1,250 proxies, at most 8), each reporting per proxy the wall-clock time it applied the change; the bench
// compares those with the time it made the API call (same machine, same clock). The proxies of one
// service are sent byte-identical messages, and a shard validates each distinct one once for all of its
// clients (SnapshotMemo): in a mesh each proxy parses its own on its own CPU, which the bench reports
// ("one proxy's parse"), instead of 10,000 parses queueing on this machine's cores. The clients' TLS,
// WebSocket framing and JSON still compete with the control plane for CPU: the figures are an upper
// bound for the control plane. Proxies start at `--connect-rate` a second in all (unpaced, 10,000 at once
// were a thundering herd: TLS handshakes timed out and retried). `--cp-prof DIR`: the control plane
// runs with --cpu-prof into DIR; `--clients-prof DIR`: so do the client shards. `--cp-memory`: what holds
// the control plane's RSS after the storm and after the last round (memory-probe.mjs, preloaded into it).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { joinTokens } from '../lib/join-tokens.ts';
import type { ShardIn, ShardOut } from './clients.ts';

const { values } = parseArgs({
  options: {
    proxies: { type: 'string', default: '1000' },
    services: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    shards: { type: 'string' },
    'connect-rate': { type: 'string', default: '250' },
    'cp-prof': { type: 'string' },
    'clients-prof': { type: 'string' },
    'cp-memory': { type: 'boolean' },
  },
});
const PROXIES = Number(values.proxies);
const SERVICES = Math.min(Number(values.services), PROXIES);
const ROUNDS = Number(values.rounds);
const CONNECT_RATE = Number(values['connect-rate']);
const SHARDS = Math.max(1, Math.min(PROXIES, Number(values.shards ?? Math.min(8, Math.ceil(PROXIES / 1250)))));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const TICKS = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux
const now = () => performance.timeOrigin + performance.now();

/** CPU seconds (user + system) the process has used. */
async function cpuOf(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(stat[11]) + Number(stat[12])) / TICKS;
}

/** A child process of clients.ts: its messages, waited for by type. */
class Shard {
  readonly child: ChildProcess;
  progress = { connected: 0, initial: 0 };
  private waiting: { type: ShardOut['type']; resolve: (m: ShardOut) => void }[] = [];
  constructor() {
    const prof = values['clients-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['clients-prof'])] : [];
    this.child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'clients.ts'), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...process.execArgv, ...prof],
    });
    this.child.on('message', (m: ShardOut) => {
      if (m.type === 'progress') this.progress = m;
      const i = this.waiting.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiting.splice(i, 1)[0]?.resolve(m);
    });
  }
  send(m: ShardIn): void {
    this.child.send(m);
  }
  next<T extends ShardOut['type']>(type: T): Promise<Extract<ShardOut, { type: T }>> {
    return new Promise((resolve) => this.waiting.push({ type, resolve: resolve as (m: ShardOut) => void }));
  }
}

async function rssOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

interface MemoryReport {
  rss: number;
  mappings: Record<string, number>;
  v8: { total: number; used: number; young: number; old: number; largeObjects: number; code: number };
  arrayBuffers: number;
}

/** Asks the control plane's memory probe (--cp-memory) what holds its RSS now, and prints it. */
async function printMemory(pid: number, file: string, when: string): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (!text) continue;
    await unlink(file);
    const m = JSON.parse(text) as MemoryReport;
    const mb = (n: number) => `${n.toFixed(1)}`;
    console.log(`control plane RSS ${when}: ${mb(m.rss)} MB, resident by mapping (MB):`);
    for (const [kind, size] of Object.entries(m.mappings).sort((a, b) => b[1] - a[1])) console.log(`  ${mb(size).padStart(6)}  ${kind}`);
    console.log(
      `  V8 heap ${mb(m.v8.total)} MB resident, ${mb(m.v8.used)} used (young generation ${mb(m.v8.young)}, old ${mb(m.v8.old)}, large objects ${mb(m.v8.largeObjects)}, code ${mb(m.v8.code)}); array buffers ${mb(m.arrayBuffers)} MB\n`,
    );
    return;
  }
  console.log(`control plane RSS ${when}: the memory probe did not answer`);
}

/** An admin token the bench's control plane holds in memory, for applying its resources. */
const BOOTSTRAP_TOKEN = 'trb_bench-config-push-token-0123456789';

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-bench-'));
  console.log(`starting a control plane (PGlite in ${dataDir}) ...`);
  const prof = values['cp-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values['cp-prof'])] : [];
  const probe = values['cp-memory'] ? ['--import', pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-probe.mjs')).href] : [];
  const memoryFile = path.join(dataDir, 'memory-report.json');
  const cpProcess = spawn(process.execPath, [...prof, ...probe, path.join(root, 'apps/cli/bin/trellis.mjs'), 'control-plane', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, TRELLIS_BENCH_MEMORY_FILE: memoryFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    cpProcess.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    cpProcess.on('exit', (code) => reject(new Error(`control plane exited (${code})`)));
  });
  const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } })] });
  const shards: Shard[] = [];
  const pid = cpProcess.pid ?? 0;
  try {
    // Every service calls the shared `auth` service and its two neighbours, as in a real mesh where
    // each proxy holds a few destinations rather than all of them.
    const services = Array.from({ length: SERVICES }, (_, i) => (i === 0 ? 'auth' : `svc-${i}`));
    for (const [i, name] of services.entries()) {
      const egress = ['auth', services[(i + 1) % SERVICES], services[(i + 2) % SERVICES]].filter((s): s is string => !!s);
      await api.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name }, spec: { egress } } });
    }
    const tokens = Object.fromEntries(await joinTokens(url, services, BOOTSTRAP_TOKEN));
    console.log(`declared ${SERVICES} services; connecting ${PROXIES} proxies from ${SHARDS} client processes, ${CONNECT_RATE} a second ...`);

    // The hello storm: every shard connects its proxies at once; progress every 2 s.
    const cpu0 = await cpuOf(pid);
    const connectStart = performance.now();
    const per = Math.ceil(PROXIES / SHARDS);
    for (let s = 0; s < SHARDS; s++) {
      const shard = new Shard();
      shards.push(shard);
      shard.send({ type: 'init', url, first: s * per, count: Math.min(per, PROXIES - s * per), services, tokens, perSecond: CONNECT_RATE / SHARDS });
    }
    const ready = Promise.all(shards.map((s) => s.next('ready')));
    let done = false;
    void ready.then(() => (done = true));
    while (!done) {
      const elapsed = performance.now() - connectStart;
      if (elapsed > 600_000) throw new Error('the proxies did not all get a snapshot within 10 minutes');
      await new Promise((r) => setTimeout(r, 2000));
      if (done) break;
      const sum = (k: 'connected' | 'initial') => shards.reduce((n, s) => n + s.progress[k], 0);
      const mem = await rssOf(pid);
      console.log(`  ${((performance.now() - connectStart) / 1000).toFixed(0)} s: ${sum('connected')} connected, ${sum('initial')} with a snapshot; control plane RSS ${mem.rss.toFixed(0)} MB`);
    }
    const connectS = (performance.now() - connectStart) / 1000;
    const connectCpu = (await cpuOf(pid)) - cpu0;
    console.log(`all ${PROXIES} proxies have a snapshot after ${connectS.toFixed(1)} s (control plane CPU ${connectCpu.toFixed(1)} s)`);
    // Let endpoint joins settle (they change every snapshot that holds them).
    await new Promise((r) => setTimeout(r, Math.max(1500, PROXIES / 2)));
    const idle = await rssOf(pid);
    console.log(`control plane RSS ${idle.rss.toFixed(0)} MB (peak ${idle.hwm.toFixed(0)} MB)\n`);
    if (values['cp-memory']) await printMemory(pid, memoryFile, 'after the storm');

    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const target = round + 1;
      for (const s of shards) s.send({ type: 'round', round, target });
      await Promise.all(shards.map((s) => s.next('armed')));
      const results = Promise.all(shards.map((s) => s.next('result')));
      const roundCpu0 = await cpuOf(pid);
      const applyStart = now();
      await api.resources.upsert.mutate({
        resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'RetryPolicy', metadata: { name: 'auth-retry' }, spec: { targetRef: { kind: 'Service', name: 'auth' }, attempts: target } },
      });
      const answers = await results;
      const got = answers
        .flatMap((r) => r.at)
        .filter((v): v is number => v !== null)
        .map((v) => v - applyStart)
        .sort((a, b) => a - b);
      const last = got[got.length - 1] ?? NaN;
      const cpu = (await cpuOf(pid)) - roundCpu0;
      const mem = await rssOf(pid);
      const parse = answers.map((r) => r.parseMs).sort((a, b) => a - b)[answers.length >> 1] ?? NaN;
      rows.push(
        `| ${round} | ${got.length}/${PROXIES} | ${fmt(quantile(got, 0.5))} | ${fmt(quantile(got, 0.99))} | ${fmt(last)} | ${cpu.toFixed(2)} s | ${mem.rss.toFixed(0)} MB (peak ${mem.hwm.toFixed(0)} MB) | ${parse.toFixed(2)} ms |`,
      );
      console.log(`round ${round}: ${got.length} proxies applied the change; p99 ${fmt(quantile(got, 0.99))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    if (values['cp-memory']) await printMemory(pid, memoryFile, 'after the last round');
    console.log(`\nConfig push: ${PROXIES} proxies of ${SERVICES} services (${SHARDS} client processes), one RetryPolicy change on a service all of them call`);
    console.log(`Hello storm: ${PROXIES} proxies started at ${CONNECT_RATE}/s, all connected and holding a snapshot after ${connectS.toFixed(1)} s, control plane CPU ${connectCpu.toFixed(1)} s.`);
    console.log('Time from the API call to each proxy holding the change (it ACKs right after); CPU: the control plane from the call to the last result.\n');
    console.log("One proxy's parse: what one StreamClient spends parsing and validating the round's snapshot (median, per shard, then across shards).\n");
    console.log("| round | proxies | p50 | p99 | max | control plane CPU | control plane RSS | one proxy's parse |");
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    for (const s of shards) s.send({ type: 'stop' });
    await Promise.all(shards.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)))));
    cpProcess.kill('SIGTERM');
    await new Promise((r) => cpProcess.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
