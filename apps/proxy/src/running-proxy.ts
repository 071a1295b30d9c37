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
