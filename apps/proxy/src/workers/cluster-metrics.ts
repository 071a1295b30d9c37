import { CONTENT_TYPE, render, type Family, type Sample } from '../telemetry/exposition.ts';
import type { CollectedFamily, MetricsRegistry } from '../telemetry/metrics.ts';

/** Gauges that add up over processes (memory, descriptors); other gauges take the largest value. */
const SUMMED_GAUGES = new Set([
  'trellis_proxy_process_resident_memory_bytes',
  'trellis_proxy_process_open_fds',
  'trellis_proxy_nodejs_heap_size_total_bytes',
  'trellis_proxy_nodejs_heap_size_used_bytes',
  'trellis_proxy_nodejs_external_memory_bytes',
  'trellis_proxy_nodejs_active_resources',
]);
/** The proxy started when its first process did. */
const SMALLEST_GAUGES = new Set(['trellis_proxy_process_start_time_seconds']);

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
 * The families of several processes as one proxy's: counters and histograms summed per series, gauges
 * summed (memory) or the largest (versions, circuit state, lag), so /metrics reads as without workers.
 */
export function mergeFamilies(lists: ReadonlyArray<readonly CollectedFamily[]>): Family[] {
  const merged = new Map<string, { family: CollectedFamily; samples: Map<string, Sample> }>();
  for (const list of lists) {
    for (const family of list) {
      let into = merged.get(family.name);
      if (!into) merged.set(family.name, (into = { family, samples: new Map() }));
      const how = family.type !== 'gauge' || SUMMED_GAUGES.has(family.name) ? 'sum' : SMALLEST_GAUGES.has(family.name) ? 'min' : 'max';
      for (const sample of family.samples) {
        const key = `${sample.suffix ?? ''}${JSON.stringify(sample.labels ?? {})}`;
        const found = into.samples.get(key);
        if (!found) into.samples.set(key, { ...sample });
        else found.value = how === 'sum' ? found.value + sample.value : how === 'min' ? Math.min(found.value, sample.value) : Math.max(found.value, sample.value);
      }
    }
  }
  return [...merged.values()].map(({ family, samples }) => ({ name: family.name, help: family.help, type: family.type, collect: () => samples.values() }));
}

/** The families about the workers themselves: how many serve, restarts, and each one's share of the work. */
function workerFamilies(workers: readonly WorkerMetrics[], restarts: number): Family[] {
  return [
    { name: 'trellis_proxy_workers', help: 'Worker processes serving the listeners (--workers).', type: 'gauge', collect: () => [{ value: workers.length }] },
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
      collect: () => workers.map((w) => ({ labels: { worker: w.slot, pid: w.pid }, value: w.rss })),
    },
  ];
}

/** The primary's /metrics: its own families and every worker's, merged, then the per-worker ones. */
export class ClusterMetrics {
  readonly contentType = CONTENT_TYPE;

  constructor(
    private readonly own: MetricsRegistry,
    private readonly workers: () => Promise<WorkerMetrics[]>,
    private readonly restarts: () => number,
  ) {}

  async metrics(): Promise<string> {
    const [own, workers] = await Promise.all([this.own.collect(), this.workers()]);
    return render([...mergeFamilies([own, ...workers.map((w) => w.families)]), ...workerFamilies(workers, this.restarts())]);
  }
}
