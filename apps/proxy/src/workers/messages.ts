import type { EdgeDelta, Snapshot, Span } from '@trellis/shared';
import type { ActiveConfig } from '../active-config.ts';
import type { SharedIdentity } from '../identity/workload-identity.ts';
import type { CollectedFamily } from '../telemetry/metrics.ts';

// What the primary process and its workers (--workers N) say to each other over node:cluster's IPC
// channel. Workloads are named by their index in ProxyOptions.workloads: both sides parse the same
// command line, so the lists match.

/** A workload's snapshot in force, as the primary passes it on. */
export interface SharedConfig {
  snapshot: Snapshot;
  source: ActiveConfig['source'];
}

/**
 * Set (to "1") in the environment of the processes the primary forks: a process is a proxy worker only
 * when it has it, so `trellis proxy` under some other node:cluster parent (pm2's cluster mode) still serves.
 */
export const PROXY_WORKER_ENV = 'TRELLIS_PROXY_WORKER';

export type ToWorker =
  /** First message: the worker's slot (1..N, kept across restarts) and what the primary already holds. */
  | { type: 'init'; slot: number; identities: Array<SharedIdentity | null>; configs: Array<SharedConfig | null> }
  | { type: 'identity'; workload: number; identity: SharedIdentity }
  | { type: 'config'; workload: number; config: SharedConfig }
  | { type: 'metrics'; id: number }
  /** Stop accepting and finish requests in flight for up to `ms`, send the last telemetry, exit. */
  | { type: 'drain'; ms: number };

export type FromWorker =
  /** First message, once the worker listens for messages (the primary's would be lost before): send 'init'. */
  | { type: 'hello' }
  /** Every listener is bound (ports per workload, in order). */
  | { type: 'listening'; ports: Array<{ inbound?: number; outbound: number }> }
  | { type: 'applied'; workload: number; version: number }
  | { type: 'telemetry'; workload: number; deltas: EdgeDelta[]; spans: Span[] }
  | { type: 'scale-up'; workload: number; service: string; first: boolean }
  | { type: 'metrics'; id: number; families: CollectedFamily[]; requests: number; rss: number };
