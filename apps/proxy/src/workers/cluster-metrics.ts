import { CONTENT_TYPE, render, type Family, type Sample } from '../telemetry/exposition.ts';
import type { CollectedFamily } from '../telemetry/metrics.ts';

/** One worker's answer to a /metrics scrape. */
export interface WorkerMetrics {
  slot: number;
  pid: number;
  families: CollectedFamily[];
  /** Requests its listeners finished since it started. */
  requests: number;
  rss: number;
}

/**
 * The families of several processes as one proxy's, each series by its family's merge rule (counters and
 * histograms summed; gauges as each declares), so /metrics reads as without workers. Inputs are not changed.
 */
export function mergeFamilies(lists: ReadonlyArray<readonly CollectedFamily[]>): CollectedFamily[] {
  const merged = new Map<string, { family: CollectedFamily; samples: Map<string, Sample> }>();
  for (const list of lists) {
    for (const family of list) {
      let into = merged.get(family.name);
      if (!into) merged.set(family.name, (into = { family, samples: new Map() }));
      const how = into.family.merge;
      for (const sample of family.samples) {
        const key = `${sample.suffix ?? ''}${JSON.stringify(sample.labels ?? {})}`;
        const found = into.samples.get(key);
        if (!found) into.samples.set(key, { ...sample });
        else found.value = how === 'sum' ? found.value + sample.value : how === 'min' ? Math.min(found.value, sample.value) : Math.max(found.value, sample.value);
      }
    }
  }
  return [...merged.values()].map(({ family, samples }) => ({ name: family.name, help: family.help, type: family.type, merge: family.merge, samples: [...samples.values()] }));
}

/** Collected families as render() takes them. */
export const asFamilies = (families: readonly CollectedFamily[]): Family[] =>
  families.map((f) => (f.type === 'gauge' ? { name: f.name, help: f.help, type: f.type, merge: f.merge, collect: () => f.samples } : { name: f.name, help: f.help, type: f.type, collect: () => f.samples }));

/** The families about the workers themselves: how many serve, restarts, and each one's share of the work. */
function workerFamilies(workers: readonly WorkerMetrics[], restarts: number): Family[] {
  return [
    { name: 'trellis_proxy_workers', help: 'Worker processes serving the listeners (--workers).', type: 'gauge', merge: 'sum', collect: () => [{ value: workers.length }] },
    { name: 'trellis_proxy_worker_restarts_total', help: 'Worker processes that died and were started again.', type: 'counter', collect: () => [{ value: restarts }] },
    {
      name: 'trellis_proxy_worker_requests_total',
      help: 'Requests each worker process finished since it started.',
      type: 'counter',
      collect: () => workers.map((w) => ({ labels: { worker: w.slot, pid: w.pid }, value: w.requests })),
    },
    {
      name: 'trellis_proxy_worker_resident_memory_bytes',
      help: 'Resident memory of each worker process.',
      type: 'gauge',
      merge: 'sum',
      collect: () => workers.map((w) => ({ labels: { worker: w.slot, pid: w.pid }, value: w.rss })),
    },
  ];
}

/** What ClusterMetrics needs of the primary's own registry. */
export interface Collector {
  collect(): Promise<CollectedFamily[]>;
}

/**
 * The primary's /metrics: its own families and every worker's, merged, then the per-worker ones. A
 * counter of the merged proxy never goes down (Prometheus would read a reset): a worker that does not
 * answer a scrape in time counts with its last answer, and a worker that exits leaves its last counters
 * and histograms behind, added to every later scrape (only what it counted after that answer is lost).
 */
export class ClusterMetrics {
  readonly contentType = CONTENT_TYPE;
  /** The last answer of each live worker process, by pid. */
  private readonly last = new Map<number, WorkerMetrics>();
  private readonly retiredPids = new Set<number>();
  /** The counters and histograms of worker processes that exited, summed. */
  private retired: CollectedFamily[] = [];

  constructor(
    private readonly own: Collector,
    private readonly workers: () => Promise<WorkerMetrics[]>,
    private readonly restarts: () => number,
  ) {}

  /** The worker process `pid` exited: its last counters stay in the proxy's. */
  retire(pid: number): void {
    this.retiredPids.add(pid);
    const last = this.last.get(pid);
    if (!last) return;
    this.last.delete(pid);
    this.retired = mergeFamilies([this.retired, last.families.filter((f) => f.type !== 'gauge')]);
  }

  async metrics(): Promise<string> {
    const [own, answers] = await Promise.all([this.own.collect(), this.workers()]);
    // An answer that crossed the worker's exit is already in `retired`.
    for (const a of answers) if (!this.retiredPids.has(a.pid)) this.last.set(a.pid, a);
    const workers = [...this.last.values()];
    return render([...asFamilies(mergeFamilies([own, this.retired, ...workers.map((w) => w.families)])), ...workerFamilies(workers, this.restarts())]);
  }
}
