import { readdirSync } from 'node:fs';
import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { Family, MergeRule, Sample } from './exposition.ts';

const PREFIX = 'trellis_proxy_';
const startTimeSeconds = Math.round(performance.timeOrigin) / 1000;

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined; // not Linux
  }
}

const gauge = (name: string, help: string, merge: MergeRule, value: () => number | undefined): Family => ({
  name: PREFIX + name,
  help,
  type: 'gauge',
  merge,
  *collect() {
    const v = value();
    if (v !== undefined) yield { value: v };
  },
});

const counter = (name: string, help: string, value: () => number): Family => ({
  name: PREFIX + name,
  help,
  type: 'counter',
  collect: () => [{ value: value() }],
});

/** Upper bounds of the GC pause histogram, in seconds (prom-client's). */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Pauses by kind, kept by one observer per process (a node agent's workloads share it). */
let gcPauses: Map<string, { counts: number[]; sum: number; count: number }> | undefined;

function observeGc(): NonNullable<typeof gcPauses> {
  if (gcPauses) return gcPauses;
  const pauses = new Map<string, { counts: number[]; sum: number; count: number }>();
  gcPauses = pauses;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const kind = GC_KINDS[entry.detail?.kind ?? -1] ?? 'other';
      let p = pauses.get(kind);
      if (!p) pauses.set(kind, (p = { counts: GC_BUCKETS.map(() => 0), sum: 0, count: 0 }));
      const seconds = entry.duration / 1000;
      for (let i = 0; i < GC_BUCKETS.length; i++) if (seconds <= (GC_BUCKETS[i] ?? 0)) p.counts[i] = (p.counts[i] ?? 0) + 1;
      p.sum += seconds;
      p.count++;
    }
  });
  observer.observe({ type: 'gc' });
  return pauses;
}

/**
 * Garbage-collection pauses by kind (minor: scavenges of the young generation; major: mark-compact),
 * prom-client's nodejs_gc_duration_seconds. An observer of GC events, not of requests: it costs nothing
 * per request, and says whether a proxy that got slower is collecting more.
 */
function gcFamily(): Family {
  const pauses = observeGc();
  return {
    name: `${PREFIX}nodejs_gc_duration_seconds`,
    help: 'Garbage collection pauses by kind (minor, major, incremental, weakcb), in seconds.',
    type: 'histogram',
    *collect(): Iterable<Sample> {
      for (const [kind, p] of pauses) {
        for (let i = 0; i < GC_BUCKETS.length; i++) yield { suffix: '_bucket', labels: { kind, le: GC_BUCKETS[i] ?? 0 }, value: p.counts[i] ?? 0 };
        yield { suffix: '_bucket', labels: { kind, le: '+Inf' }, value: p.count };
        yield { suffix: '_sum', labels: { kind }, value: p.sum };
        yield { suffix: '_count', labels: { kind }, value: p.count };
      }
    },
  };
}

/**
 * Node process metrics, under the names prom-client's default metrics use (with the trellis_proxy_
 * prefix), all read at scrape time. Nothing runs between scrapes: prom-client's event-loop-delay
 * histogram sampled every 10 ms and woke an idle proxy 100 times a second. Event-loop health is the
 * active time counter instead (its rate is the loop's utilization) plus the lag measured at scrape.
 */
export function processFamilies(lag: () => number): Family[] {
  return [
    counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', () => process.cpuUsage().user / 1e6),
    counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', () => process.cpuUsage().system / 1e6),
    counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }),
    gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'min', () => startTimeSeconds),
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', 'sum', () => process.memoryUsage.rss()),
    gauge('process_open_fds', 'Number of open file descriptors.', 'sum', openFds),
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', 'sum', () => process.memoryUsage().heapTotal),
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', 'sum', () => process.memoryUsage().heapUsed),
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', 'sum', () => process.memoryUsage().external),
    gauge('nodejs_array_buffers_bytes', 'Memory of ArrayBuffers and SharedArrayBuffers (Buffers included), part of external, in bytes.', 'sum', () => process.memoryUsage().arrayBuffers),
    gauge('nodejs_active_resources', 'Number of active resources keeping the event loop alive (handles, requests).', 'sum', () => process.getActiveResourcesInfo().length),
    gauge('nodejs_eventloop_lag_seconds', 'Lag of the event loop in seconds, measured when scraped.', 'max', lag),
    gcFamily(),
    counter('nodejs_eventloop_active_seconds_total', 'Time the event loop spent running callbacks rather than waiting; its rate is the utilization.', () => performance.eventLoopUtilization().active / 1000),
    {
      name: `${PREFIX}nodejs_version_info`,
      help: 'Node.js version info.',
      type: 'gauge',
      merge: 'max',
      collect() {
        const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number);
        return [{ labels: { version: process.version, major, minor, patch }, value: 1 }];
      },
    },
  ];
}

/** How late a callback queued now runs: the event-loop lag the scrape sees (prom-client's way). */
export function measureLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}
