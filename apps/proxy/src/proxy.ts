import { performance } from 'node:perf_hooks';
import { AdminServer } from './admin/server.ts';
import type { ProxyOptions } from './options.ts';
import { readyLine } from './ready-line.ts';
import { runningProxy, type RunningProxy } from './running-proxy.ts';
import { MetricsRegistry } from './telemetry/metrics.ts';
import { Workload } from './workload.ts';
import { startProxyWorkers } from './workers/primary.ts';

/**
 * Starts every workload's listeners and config source, then the admin listener. With `workers` > 1 this
 * process becomes the primary of that many worker processes (workers/primary.ts); a worker process calls
 * runProxyWorker instead.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  if (options.workers !== undefined && options.workers > 1) return startProxyWorkers(options, options.workers);
  // A node agent (more than one workload) carries every request to another proxy over HTTP/2.
  const http2Between = options.workloads.length > 1;
  const shared = { ...(options.controlPlane ? { controlPlane: options.controlPlane } : {}), limits: options.limits, log: options.log, http2Between };
  const workloads = options.workloads.map((w) => new Workload(w, shared));
  const registry = new MetricsRegistry(() => workloads);
  const admin = new AdminServer(workloads, registry);
  const adminPort = await admin.listen(options.adminPort, options.adminAddress);
  try {
    // Workloads start one after another: each binds its ports before it says hello to the control plane.
    for (const w of workloads) await w.start(adminPort);
  } catch (err) {
    admin.close();
    await Promise.all(workloads.map((w) => w.drain(performance.now())));
    throw err;
  }

  return runningProxy(workloads, admin, adminPort, options.drainTimeoutMs, { readyLine: () => readyLine(workloads, adminPort) });
}
