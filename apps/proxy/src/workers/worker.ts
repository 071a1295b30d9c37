import { performance } from 'node:perf_hooks';
import type { ProxyOptions, WorkloadOptions } from '../options.ts';
import { closeRedisConnections } from '../ratelimit/redis-limiter.ts';
import { MetricsRegistry } from '../telemetry/metrics.ts';
import { MAX_SPANS_PER_MESSAGE, SPAN_INTERVAL_MS } from '../telemetry/reporter.ts';
import { Workload } from '../workload.ts';
import type { FromWorker, SharedConfig, ToWorker } from './messages.ts';


function send(message: FromWorker, done?: () => void): void {
  if (!process.connected) return done?.();
  process.send?.(message, undefined, undefined, () => done?.());
}

/**
 * One worker process of `trellis proxy --workers N`: it serves every workload's listeners (the primary
 * shares the listening sockets through node:cluster) with the snapshot and identity the primary sends,
 * and opens no control-plane stream of its own. Resolves once it has drained.
 */
export function runProxyWorker(options: ProxyOptions): Promise<void> {
  let slot = 0;
  // The primary sends at most MAX_SPANS_PER_MESSAGE spans per SPAN_INTERVAL_MS, as a single process does;
  // its workers together hand it no more, so spans beyond that are dropped (and counted) before they
  // cost a serialisation over IPC, as a single process drops them in its buffer.
  const spansPerFlush = Math.max(1, Math.ceil(MAX_SPANS_PER_MESSAGE / (options.workers ?? 1)));
  // Its share per second is what its buffer admits per second and holds at most: with the single
  // process's 5,000 a kept span would wait 5000 / (10 * spansPerFlush) s (5 s at N = 2), long enough to
  // be promoted to the old generation and reach the control plane late.
  const spansPerSecond = spansPerFlush * (1000 / SPAN_INTERVAL_MS);
  const log = (line: string) => options.log(`worker ${slot}: ${line}`);
  // A worker never joins the control plane itself (its identity comes from the primary): it keeps no join
  // token, nor the path of a ServiceAccount token, that a heap dump of it could give away.
  const workloadOptions = options.workloads.map(({ token: _token, serviceAccountTokenFile: _file, ...w }): WorkloadOptions => w);
  const workloadCount = workloadOptions.length;
  let workloads: Workload[] = [];
  let registry: MetricsRegistry | undefined;
  let timer: NodeJS.Timeout | undefined;

  // `all`: the last flush of a drain, which takes every span held (the primary counts what its buffer cannot take).
  const flush = (done?: () => void, all = false) => {
    let pending = 1;
    const one = () => {
      if (--pending === 0) done?.();
    };
    workloads.forEach((w, workload) => {
      const deltas = w.edges.takeDeltas();
      const spans = w.tracer.buffer.take(all ? w.tracer.buffer.length : spansPerFlush);
      if (deltas.length === 0 && spans.length === 0) return;
      pending++;
      send({ type: 'telemetry', workload, deltas, spans }, one);
    });
    one();
  };

  let drained = () => undefined as void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  let draining: Promise<void> | undefined;
  const drain = (ms: number) =>
    (draining ??= (async () => {
      clearInterval(timer);
      const deadline = performance.now() + ms;
      await Promise.all(workloads.map((w) => w.drain(deadline)));
      await closeRedisConnections();
      await new Promise<void>((resolve) => flush(resolve, true));
      drained();
    })());

  // The primary validated it with the same code; a refusal here means the two disagree. Thrown, it would
  // kill the worker and every replacement in turn (init hands each the same snapshot).
  const refusable = (w: Workload, config: SharedConfig) => {
    try {
      w.apply(config.snapshot, config.source);
    } catch (err) {
      log(`refused snapshot version ${config.snapshot.version} the primary applied: ${(err as Error).message}`);
    }
  };

  const onMessage = (message: ToWorker) => {
    switch (message.type) {
      case 'init': {
        // Drain came first (a worker forked just before SIGTERM): binding now would take connections and
        // drop them when the process exits.
        if (draining) return;
        slot = message.slot;
        // As in one process (proxy.ts): a node agent carries every request to another proxy over HTTP/2.
        const shared = { limits: options.limits, log, http2Between: workloadCount > 1, spanBufferLimit: spansPerSecond, spansPerSecond };
        workloads = workloadOptions.map((w) => new Workload(w, shared, 'worker'));
        registry = new MetricsRegistry(() => workloads);
        workloads.forEach((w, i) => {
          // Spans go to the control plane through the primary, when the workload streams from one.
          w.tracer.enabled = w.options.configFile === undefined;
          if (w.coldStarts) {
            w.coldStarts.askScaleUp = (service, first) => {
              send({ type: 'scale-up', workload: i, service, first });
              return true;
            };
          }
          w.onApplied = (snapshot) => send({ type: 'applied', workload: i, version: snapshot.version });
          const identity = message.identities[i];
          if (identity) w.identity?.adopt(identity);
          const config = message.configs[i];
          if (config) refusable(w, config);
        });
        // Bound only once the snapshot in force is applied: a restarted worker takes connections at once.
        void (async () => {
          for (const w of workloads) await w.start(0);
          send({ type: 'listening', ports: workloads.map((w) => ({ ...w.ports })) });
          // The span cadence of a single process, so spans reach the control plane as soon; deltas are summed at the primary.
          timer = setInterval(() => flush(), SPAN_INTERVAL_MS);
          timer.unref();
        })().catch((err: Error) => {
          log(`cannot listen: ${err.message}`);
          process.exit(1);
        });
        return;
      }
      case 'identity':
        workloads[message.workload]?.identity?.adopt(message.identity);
        return;
      case 'config': {
        const w = workloads[message.workload];
        if (w) refusable(w, message.config);
        return;
      }
      case 'metrics':
        void registry?.collect().then((families) => {
          let requests = 0;
          for (const w of workloads) for (const e of w.edges.list) for (const n of e.codes.values()) requests += n;
          send({ type: 'metrics', id: message.id, families, requests, rss: process.memoryUsage.rss() });
        });
        return;
      case 'drain':
        void drain(message.ms);
        return;
    }
  };
  process.on('message', onMessage);
  send({ type: 'hello' });
  // The primary coordinates shutdown; a signal to the whole process group (Ctrl-C) drains this worker too.
  process.on('SIGHUP', () => undefined);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void drain(options.drainTimeoutMs));
  // A primary that goes away leaves no one to send config: finish what is in flight and leave.
  process.once('disconnect', () => void drain(options.drainTimeoutMs));
  return done;
}
