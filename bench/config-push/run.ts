// Config push benchmark: N simulated proxies on the real stream of a real control plane (its own
// process, embedded PGlite), one change that touches all of them, and how long until each has it.
//
//   npm run bench:config-push -- [--proxies 1000] [--services 100] [--rounds 3]
//
// Every proxy is a real StreamClient (the module the proxy uses), so each validates the snapshot with
// the shared zod schema and ACKs it. All simulated proxies share this one process: on a 2-core machine
// their own parsing is part of the figure, so the figures are an upper bound for the control plane.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { joinTokens } from '../lib/join-tokens.ts';
import type { Snapshot } from '@trellis/shared';

const { values } = parseArgs({
  options: {
    proxies: { type: 'string', default: '1000' },
    services: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
  },
});
const PROXIES = Number(values.proxies);
const SERVICES = Math.min(Number(values.services), PROXIES);
const ROUNDS = Number(values.rounds);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function rssOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** An admin token the bench's control plane holds in memory, for applying its resources. */
const BOOTSTRAP_TOKEN = 'trb_bench-config-push-token-0123456789';

async function main() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-bench-'));
  console.log(`starting a control plane (PGlite in ${dataDir}) ...`);
  const cpProcess = spawn(process.execPath, [path.join(root, 'apps/cli/bin/trellis.mjs'), 'control-plane', '--port', '0', '--data-dir', dataDir], {
    env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
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
  const clients: StreamClient[] = [];
  try {
    // Every service calls the shared `auth` service and its two neighbours, as in a real mesh where
    // each proxy holds a few destinations rather than all of them.
    const services = Array.from({ length: SERVICES }, (_, i) => (i === 0 ? 'auth' : `svc-${i}`));
    for (const [i, name] of services.entries()) {
      const egress = ['auth', services[(i + 1) % SERVICES], services[(i + 2) % SERVICES]].filter((s): s is string => !!s);
      await api.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name }, spec: { egress } } });
    }
    console.log(`declared ${SERVICES} services; connecting ${PROXIES} proxies ...`);

    const tokens = await joinTokens(url, services, BOOTSTRAP_TOKEN);
    let target = 0;
    const acked = new Array<number>(PROXIES).fill(NaN);
    let applyStart = 0;
    let initial = 0;
    for (let i = 0; i < PROXIES; i++) {
      const service = services[i % SERVICES] ?? 'auth';
      const client = new StreamClient({
        controlPlane: url,
        identity: { service, instance: `${service}-${i}`, proxyVersion: 'bench', endpoint: { address: '127.0.0.1', port: 20000 + i } },
        credentials: tokenCredentials(tokens.get(service) ?? ''),
        apply: (snapshot: Snapshot) => {
          const auth = snapshot.outbound.services.find((s) => s.name === 'auth');
          const attempts = auth?.routes[auth.routes.length - 1]?.policies.retry?.attempts ?? 0;
          if (attempts === 0 && Number.isNaN(acked[i] ?? NaN) && target === 0) return;
          if (attempts === target && Number.isNaN(acked[i] ?? NaN)) acked[i] = performance.now() - applyStart;
        },
      });
      client.once('applied', () => initial++);
      clients.push(client);
      await client.start();
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    const connectStart = performance.now();
    while (initial < PROXIES) {
      if (performance.now() - connectStart > 120_000) throw new Error(`only ${initial} of ${PROXIES} proxies got a snapshot`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Let endpoint joins settle (they change every snapshot that holds them).
    await new Promise((r) => setTimeout(r, 1500));
    const idle = await rssOf(cpProcess.pid ?? 0);
    console.log(`all ${PROXIES} proxies have a snapshot; control plane RSS ${idle.rss.toFixed(0)} MB\n`);

    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      target = round + 1;
      acked.fill(NaN);
      applyStart = performance.now();
      await api.resources.upsert.mutate({
        resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'RetryPolicy', metadata: { name: 'auth-retry' }, spec: { targetRef: { kind: 'Service', name: 'auth' }, attempts: target } },
      });
      const deadline = performance.now() + 30_000;
      while (acked.some((v) => Number.isNaN(v)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const got = acked.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
      const mem = await rssOf(cpProcess.pid ?? 0);
      rows.push(
        `| ${round} | ${got.length}/${PROXIES} | ${fmt(quantile(got, 0.5))} | ${fmt(quantile(got, 0.99))} | ${fmt(got[got.length - 1] ?? NaN)} | ${mem.rss.toFixed(0)} MB (peak ${mem.hwm.toFixed(0)} MB) |`,
      );
      console.log(`round ${round}: ${got.length} proxies applied the change; p99 ${fmt(quantile(got, 0.99))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`\nConfig push: ${PROXIES} proxies of ${SERVICES} services, one RetryPolicy change on a service all of them call`);
    console.log('Time from the API call to each proxy holding the change (it ACKs right after). Goal: p99 <= 1 s.\n');
    console.log('| round | proxies | p50 | p99 | max | control plane RSS |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    cpProcess.kill('SIGTERM');
    await new Promise((r) => cpProcess.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
