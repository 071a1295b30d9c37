import { performance } from 'node:perf_hooks';
import type { AdminServer } from './admin/server.ts';
import { closeRedisConnections } from './ratelimit/redis-limiter.ts';
import type { Workload } from './workload.ts';

/**
 * A running proxy (sidecar: one workload; node agent: several), whether one process serves it
 * (proxy.ts) or a primary with workers (workers/primary.ts).
 */
export interface RunningProxy {
  workloads: Workload[];
  adminPort: number;
  /** What `trellis proxy` prints once listening: every bound port, so scripts and tests can find them. */
  readyLine(): string;
  /** Re-reads config files (SIGHUP). */
  reload(): Promise<void>;
  /** Stops accepting, finishes requests in flight until the drain deadline, closes everything. */
  drain(): Promise<void>;
}

/**
 * The RunningProxy of started workloads and their admin listener; one process and a primary with workers
 * differ only in their ready line and in what drains first (`drainFirst`: the workers).
 */
export function runningProxy(
  workloads: Workload[],
  admin: AdminServer,
  adminPort: number,
  drainTimeoutMs: number,
  own: { readyLine: () => string; drainFirst?: (timeoutMs: number) => Promise<void> },
): RunningProxy {
  let draining: Promise<void> | undefined;
  return {
    workloads,
    adminPort,
    readyLine: own.readyLine,
    async reload() {
      for (const w of workloads) await w.reloadConfigFile();
    },
    drain() {
      draining ??= (async () => {
        admin.draining = true;
        const deadline = performance.now() + drainTimeoutMs;
        await own.drainFirst?.(drainTimeoutMs);
        await Promise.all(workloads.map((w) => w.drain(deadline)));
        await closeRedisConnections();
        admin.close();
      })();
      return draining;
    },
  };
}
