import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Family, MergeRule } from './exposition.ts';

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
