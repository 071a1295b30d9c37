import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { AdminServer } from '../admin/server.ts';
import type { ProxyOptions } from '../options.ts';
import { runningProxy, type RunningProxy } from '../running-proxy.ts';
import { readyLine } from '../ready-line.ts';
import { MetricsRegistry } from '../telemetry/metrics.ts';
import { Workload } from '../workload.ts';
import { ClusterMetrics, type WorkerMetrics } from './cluster-metrics.ts';
import { PROXY_WORKER_ENV, type FromWorker, type SharedConfig, type ToWorker } from './messages.ts';

/** A worker that lived this long before dying is restarted at once; one that dies sooner waits, doubling. */
const HEALTHY_LIFE_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** How long a /metrics scrape waits for a worker's figures before leaving it out. */
const METRICS_TIMEOUT_MS = 2000;

type Ports = { inbound?: number; outbound: number };

/** One place for a worker: its number stays when the process in it is replaced. */
interface Slot {
  slot: number;
  worker: Worker | undefined;
  listening: boolean;
  /** The snapshot version it applied, per workload. */
  applied: Array<number | undefined>;
  startedAt: number;
  /** Deaths in a row that came too soon (restart backoff). */
  quickDeaths: number;
}

/**
 * `trellis proxy --workers N` (N > 1): this process is the primary. It keeps the proxy's one identity per
 * workload and its one control-plane stream (hello, CSR, renewals, snapshots, endpoint registration), its
 * app probe and the admin listener; N worker processes (node:cluster) serve the inbound and outbound
 * listeners with the snapshot and identity it passes them, and hand their telemetry back to it.
 */
export async function startProxyWorkers(options: ProxyOptions, count: number): Promise<RunningProxy> {
  // Round robin (SCHED_RR): this process accepts each connection and hands it to the next worker. With
  // SCHED_NONE every worker accepts on the shared socket and Linux wakes whichever it likes: Node's docs
  // report 70 % of connections landing on two of eight workers, and with keep-alive a connection stays
  // where it landed for its whole life, so the imbalance would last. An accept through the primary costs
  // once per connection, not per request. (Node 20's listen() has no reusePort to let the kernel spread them.)
  cluster.schedulingPolicy = cluster.SCHED_RR;
  // Workers get this process's node flags except the inspector: `node --inspect trellis proxy --workers N`
  // is a debugger on the primary, not N + 1 of them open to anyone who can reach the port.
  cluster.setupPrimary({ execArgv: process.execArgv.filter((arg) => !/^--(inspect|debug)(-brk|-port|-wait)?(=|$)/.test(arg)) });
  const log = options.log;
  const shared = { ...(options.controlPlane ? { controlPlane: options.controlPlane } : {}), limits: options.limits, log };
  const workloads = options.workloads.map((w) => new Workload(w, shared, 'primary'));
  const configs: Array<SharedConfig | null> = workloads.map(() => null);
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ slot: i + 1, worker: undefined, listening: false, applied: [], startedAt: 0, quickDeaths: 0 }));
  let bound: Ports[] | undefined;
  let restarts = 0;
  let draining = false;
  let nextId = 0;
  const pendingMetrics = new Map<number, (m: Extract<FromWorker, { type: 'metrics' }>) => void>();
  let startup: { resolve: () => void; reject: (err: Error) => void } | undefined;

  const broadcast = (message: ToWorker) => {
    for (const s of slots) if (s.worker?.isConnected()) s.worker.send(message);
  };

  const onMessage = (s: Slot, message: FromWorker) => {
    switch (message.type) {
      case 'hello':
        // A worker forked just before a drain missed the drain message (sent before it listened): it is
        // told again instead of being given listeners to serve for a moment and drop.
        if (draining) {
          s.worker?.send({ type: 'drain', ms: 0 } satisfies ToWorker);
          return;
        }
        // What this process holds now; later changes follow as 'identity' and 'config' messages.
        s.worker?.send({ type: 'init', slot: s.slot, identities: workloads.map((w) => w.identity?.shared() ?? null), configs } satisfies ToWorker);
        return;
      case 'listening':
        s.listening = true;
        if (bound && JSON.stringify(bound) !== JSON.stringify(message.ports)) {
          log(`worker ${s.slot} bound ${JSON.stringify(message.ports)}, not the ports announced (${JSON.stringify(bound)}): give fixed ports with --workers`);
        }
        bound ??= message.ports;
        if (startup && slots.every((x) => x.listening)) {
          // Cleared here, not after the await: from now on a worker that exits is replaced, not a failed startup.
          startup.resolve();
          startup = undefined;
        }
        return;
      case 'applied':
        s.applied[message.workload] = message.version;
        return;
      case 'telemetry':
        workloads[message.workload]?.absorb(message.deltas, message.spans);
        return;
      case 'scale-up':
        workloads[message.workload]?.askScaleUp(message.service, message.first);
        return;
      case 'metrics':
        pendingMetrics.get(message.id)?.(message);
        return;
    }
  };

  const fork = (s: Slot) => {
    const worker = cluster.fork({ [PROXY_WORKER_ENV]: '1' });
    s.worker = worker;
    s.listening = false;
    s.applied = [];
    s.startedAt = Date.now();
    worker.on('message', (message: FromWorker) => onMessage(s, message));
    // A send() to a worker that has just died reports EPIPE here; without a listener it would be thrown
    // and take the primary, and every other worker with it, down. Its 'exit' follows and replaces it.
    worker.on('error', (err) => log(`worker ${s.slot} (pid ${worker.process.pid ?? '?'}): ${err.message}`));
    worker.on('exit', (code, signal) => {
      if (worker.process.pid !== undefined) metrics.retire(worker.process.pid);
      if (s.worker !== worker) return;
      s.worker = undefined;
      s.listening = false;
      if (draining) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (startup) {
        startup.reject(new Error(`worker ${s.slot} exited (${how}) before it listened`));
        return;
      }
      const quick = Date.now() - s.startedAt < HEALTHY_LIFE_MS;
      s.quickDeaths = quick ? s.quickDeaths + 1 : 0;
      const delay = quick ? Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (s.quickDeaths - 1)) : 0;
      log(`worker ${s.slot} (pid ${worker.process.pid ?? '?'}) exited (${how}); starting a new one${delay ? ` in ${delay} ms` : ''}`);
      restarts++;
      setTimeout(() => {
        if (!draining) fork(s);
      }, delay).unref();
    });
  };

  workloads.forEach((w, i) => {
    w.onApplied = (snapshot, source) => {
      const config = { snapshot, source };
      configs[i] = config;
      broadcast({ type: 'config', workload: i, config });
    };
    w.identity?.on('changed', () => {
      const identity = w.identity?.shared();
      if (identity) broadcast({ type: 'identity', workload: i, identity });
    });
  });

  const metrics = new ClusterMetrics(new MetricsRegistry(() => workloads), () => workerMetrics(), () => restarts);
  const workerMetrics = async (): Promise<WorkerMetrics[]> => {
    const asked = slots.map(async (s): Promise<WorkerMetrics | undefined> => {
      const worker = s.worker;
      if (!worker?.isConnected() || !s.listening) return undefined;
      const id = ++nextId;
      const pid = worker.process.pid ?? 0;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pendingMetrics.delete(id);
          resolve(undefined);
        }, METRICS_TIMEOUT_MS);
        pendingMetrics.set(id, (m) => {
          clearTimeout(timer);
          pendingMetrics.delete(id);
          resolve({ slot: s.slot, pid, families: m.families, requests: m.requests, rss: m.rss });
        });
        worker.send({ type: 'metrics', id } satisfies ToWorker);
      });
    });
    return (await Promise.all(asked)).filter((m) => m !== undefined);
  };

  const admin = new AdminServer(workloads, metrics, {
    notReady() {
      const serving = slots.filter((s) => s.listening);
      if (serving.length === 0) return ['no worker is serving'];
      const out: string[] = [];
      for (const s of serving) {
        const missing = workloads.filter((_, i) => s.applied[i] === undefined).map((w) => w.self);
        if (missing.length > 0) out.push(`worker ${s.slot} has no snapshot yet for ${missing.join(', ')}`);
      }
      return out;
    },
    describe: () => slots.map((s) => ({ worker: s.slot, pid: s.worker?.process.pid ?? null, serving: s.listening, versions: workloads.map((_, i) => s.applied[i] ?? null) })),
  });
  const adminPort = await admin.listen(options.adminPort, options.adminAddress);

  const stopWorkers = async (ms: number) => {
    draining = true;
    await Promise.all(
      slots.map(async (s) => {
        const worker = s.worker;
        if (!worker || worker.isDead()) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        if (worker.isConnected()) worker.send({ type: 'drain', ms } satisfies ToWorker);
        // A worker stuck past its drain deadline is not waited for.
        const timer = setTimeout(() => worker.kill('SIGKILL'), ms + 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    await new Promise<void>((resolve, reject) => {
      startup = { resolve, reject };
      for (const s of slots) fork(s);
    });
    startup = undefined;
    const ports = bound ?? [];
    // As without workers: one workload after another says hello with the ports its listeners have.
    for (const [i, w] of workloads.entries()) await w.start(adminPort, ports[i] ?? { outbound: 0 });
  } catch (err) {
    startup = undefined;
    await stopWorkers(0);
    admin.close();
    await Promise.all(workloads.map((w) => w.drain(performance.now())));
    throw err;
  }
  log(`${count} workers serve the listeners (pids ${slots.map((s) => s.worker?.process.pid ?? '?').join(', ')})`);

  return runningProxy(workloads, admin, adminPort, options.drainTimeoutMs, {
    readyLine: () => readyLine(workloads, adminPort, { workers: count }),
    // Workers first: their last telemetry reaches this process before its own last report goes out.
    drainFirst: stopWorkers,
  });
}
