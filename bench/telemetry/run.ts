// Telemetry ingestion benchmark: simulated proxies (real StreamClients) report per-edge metric deltas
// every second plus spans at increasing rates, against a real control plane in its own process. For
// each span rate it reports what the control plane kept up with (deltas/s, late deltas dropped, how late
// reports were folded in, spans written/s, dropped), its CPU, event-loop delay and RSS.
//
//   npm run bench:telemetry -- [--proxies 200] [--edges 5] [--rates 1000,4000,16000,32000] [--seconds 10] [--postgres URL]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { joinTokens } from '../lib/join-tokens.ts';
import { latencyBucket, type EdgeDelta, type Span } from '@trellis/shared';

const { values } = parseArgs({
  options: {
    proxies: { type: 'string', default: '200' },
    edges: { type: 'string', default: '5' },
    rates: { type: 'string', default: '1000,4000,16000,32000' },
    seconds: { type: 'string', default: '10' },
    postgres: { type: 'string' },
  },
});
const PROXIES = Number(values.proxies);
const EDGES = Number(values.edges);
const RATES = (values.rates ?? '').split(',').map(Number);
const SECONDS = Number(values.seconds);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TICKS = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux

async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(stat[11]) + Number(stat[12])) / TICKS;
}
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}
/** An admin token the bench's control plane holds in memory, for making join tokens. */
const BOOTSTRAP_TOKEN = 'trb_bench-telemetry-token-0123456789';

/** Every trellis_cp_ sample of /metrics, by name with its labels (`x_bucket{le="1"}`). */
async function counters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(trellis_cp_\S+) (\S+)$/gm)) out[m[1] ?? ''] = Number(m[2]);
  return out;
}

const LAG = 'trellis_cp_metric_report_lag_seconds';
/** The bucket bound (s) under which 99 % of the step's metric reports were folded in, from the lag histogram's deltas. */
function lagP99(c0: Record<string, number>, c1: Record<string, number>): string {
  const d = (k: string) => (c1[k] ?? 0) - (c0[k] ?? 0);
  const total = d(`${LAG}_count`);
  if (total === 0) return 'n/a';
  const bounds = Object.keys(c1)
    .map((k) => /le="([^"]+)"/.exec(k)?.[1])
    .filter((le): le is string => !!le && le !== '+Inf' && c1[`${LAG}_bucket{le="${le}"}`] !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  const le = bounds.find((b) => d(`${LAG}_bucket{le="${b}"}`) >= 0.99 * total);
  return le ? `<= ${le} s` : `> ${bounds[bounds.length - 1] ?? '?'} s`;
}

function edges(proxy: number): EdgeDelta[] {
  return Array.from({ length: EDGES }, (_, e) => ({
    source: `svc-${proxy % 50}.default`,
    destination: `svc-${(proxy + e + 1) % 50}.default`,
    route: 'default',
    version: 'v1',
    side: 'outbound' as const,
    codes: { '2xx': 95, '3xx': 0, '4xx': 2, '5xx': 3 },
    latency: { [latencyBucket(3)]: 60, [latencyBucket(12)]: 35, [latencyBucket(250)]: 5 },
    retries: 1,
    rateLimited: 0,
    ejections: 0,
  }));
}

function spans(service: string, n: number): Span[] {
  const now = Date.now();
  return Array.from({ length: n }, () => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    kind: 'server' as const,
    service,
    name: 'GET default',
    startMs: now,
    durationMs: 4.2,
    status: 200,
    error: false,
    attributes: { route: 'default', source: 'frontend', 'http.method': 'GET', 'http.path': '/' },
  }));
}

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-bench-telemetry-'));
  const db = values.postgres ? `Postgres (${values.postgres})` : 'PGlite';
  console.log(`starting a control plane on ${db} ...`);
  // Its own counters are read from /metrics, opened for the bench (a control plane's /metrics otherwise needs a token).
  const cp = spawn(process.execPath, [path.join(root, 'apps/cli/bin/trellis.mjs'), 'control-plane', '--port', '0', '--data-dir', dataDir, '--public-metrics'], {
    env: { ...process.env, DATABASE_URL: values.postgres ?? '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    cp.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    cp.on('exit', (code) => reject(new Error(`control plane exited (${code})`)));
  });
  const pid = cp.pid ?? 0;
  const clients: StreamClient[] = [];
  try {
    const tokens = await joinTokens(url, Array.from({ length: Math.min(50, PROXIES) }, (_, i) => `svc-${i}`), BOOTSTRAP_TOKEN);
    for (let i = 0; i < PROXIES; i++) {
      const service = `svc-${i % 50}`;
      const c = new StreamClient({ controlPlane: url, identity: { service, instance: `p-${i}`, proxyVersion: 'bench' }, apply: () => {}, credentials: tokenCredentials(tokens.get(service) ?? '') });
      clients.push(c);
      await c.start();
      // 200 a second: all at once, TLS handshakes time out and retry on a busy machine.
      await new Promise((r) => setTimeout(r, 5));
      if (i % 200 === 199) console.log(`  ${i + 1} started, ${clients.filter((x) => x.state === 'connected').length} connected`);
    }
    while (clients.some((c) => c.state !== 'connected')) await new Promise((r) => setTimeout(r, 100));
    console.log(`${PROXIES} proxies connected; each reports ${EDGES} edges every second`);
    const rows: string[] = [];
    for (const rate of RATES) {
      const perProxy = rate / PROXIES;
      let carry = 0;
      const c0 = await counters(url);
      const cpu0 = await cpuSeconds(pid);
      const t0 = performance.now();
      let peakRss = 0;
      for (let s = 0; s < SECONDS; s++) {
        const tick = performance.now();
        carry += perProxy;
        const n = Math.floor(carry);
        carry -= n;
        for (const [i, c] of clients.entries()) {
          c.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: edges(i) } });
          if (n > 0) c.send({ type: 'spans', spans: spans(`svc-${i % 50}`, n) });
        }
        peakRss = Math.max(peakRss, await rssMb(pid));
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
      }
      // Give the control plane a moment to write what it received.
      await new Promise((r) => setTimeout(r, 1500));
      const elapsed = (performance.now() - t0) / 1000;
      const c1 = await counters(url);
      const cpu = (await cpuSeconds(pid)) - cpu0;
      const d = (k: string) => (c1[k] ?? 0) - (c0[k] ?? 0);
      // The event-loop delay gauges cover the time since the previous scrape (prom-client resets them): this step.
      const loop = (k: string) => `${((c1[`trellis_cp_nodejs_eventloop_lag_${k}_seconds`] ?? NaN) * 1000).toFixed(0)}`;
      const row = `| ${rate} | ${(d('trellis_cp_metric_deltas_total') / SECONDS).toFixed(0)} | ${d('trellis_cp_metric_deltas_dropped_total')} | ${lagP99(c0, c1)} | ${(d('trellis_cp_spans_received_total') / SECONDS).toFixed(0)} | ${(d('trellis_cp_spans_written_total') / SECONDS).toFixed(0)} | ${d('trellis_cp_spans_dropped_total')} | ${((cpu / elapsed) * 100).toFixed(0)} % | ${loop('p99')} / ${loop('max')} ms | ${peakRss.toFixed(0)} MB |`;
      rows.push(row);
      console.log(`offered ${rate} spans/s: written ${(d('trellis_cp_spans_written_total') / SECONDS).toFixed(0)}/s, CPU ${((cpu / elapsed) * 100).toFixed(0)} %`);
    }
    console.log(`\nTelemetry ingestion: ${PROXIES} proxies x ${EDGES} edge deltas per second, control plane on ${db}, ${SECONDS} s per step`);
    console.log('CPU is the control plane process (100 % = one core). Report lag: from a proxy sending a metrics report to the');
    console.log('control plane folding it in (99 % within); event loop: the control plane\'s event-loop delay p99 / max over the step.\n');
    console.log('| spans/s offered | deltas/s taken | deltas dropped (late) | report lag p99 | spans/s received | spans/s written | spans dropped | CPU | event loop p99 / max | peak RSS |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    cp.kill('SIGTERM');
    await new Promise((r) => cp.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
