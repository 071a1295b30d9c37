import type { EdgeDelta } from '@trellis/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeltaSum } from '../src/telemetry/delta-sum.ts';
import { render } from '../src/telemetry/exposition.ts';
import { MetricsRegistry, type CollectedFamily } from '../src/telemetry/metrics.ts';
import { asFamilies, ClusterMetrics, mergeFamilies, type WorkerMetrics } from '../src/workers/cluster-metrics.ts';

// With --workers, the primary reports for the whole proxy: the control plane gets one delta per edge a
// second, and /metrics reads as one process's would.

const delta = (over: Partial<EdgeDelta> = {}): EdgeDelta => ({
  source: 'front.default',
  destination: 'back.default',
  route: 'default',
  side: 'outbound',
  codes: { '2xx': 10, '3xx': 0, '4xx': 1, '5xx': 0 },
  latency: { '3': 8, '5': 3 },
  retries: 1,
  rateLimited: 0,
  ejections: 0,
  mtls: 11,
  attempts: 12,
  failedAttempts: 1,
  ...over,
});

describe('the deltas of several workers', () => {
  it('are summed per edge', () => {
    const sum = new DeltaSum();
    sum.add([delta()]);
    sum.add([delta({ codes: { '2xx': 5, '3xx': 0, '4xx': 0, '5xx': 2 }, latency: { '5': 1, '9': 6 }, grpc: { '0': 4 } }), delta({ destination: 'other.default' })]);
    const [back, other, ...rest] = sum.takeDeltas();
    expect(rest).toEqual([]);
    expect(back).toMatchObject({ destination: 'back.default', codes: { '2xx': 15, '3xx': 0, '4xx': 1, '5xx': 2 }, latency: { '3': 8, '5': 4, '9': 6 }, retries: 2, mtls: 22, attempts: 24, failedAttempts: 2, grpc: { '0': 4 } });
    expect(other?.destination).toBe('other.default');
    // Taken once: the next report starts from nothing.
    expect(sum.takeDeltas()).toEqual([]);
  });

  it('keep edges that differ only by side or version apart', () => {
    const sum = new DeltaSum();
    sum.add([delta(), delta({ version: 'v2' }), delta({ side: 'inbound', source: 'external' })]);
    expect(sum.takeDeltas()).toHaveLength(3);
  });
});

describe('the /metrics families of several processes', () => {
  // Each family as the proxy declares it (its type and merge rule), with the samples a process read.
  const declared = new Map<string, CollectedFamily>();
  beforeAll(async () => {
    for (const f of await new MetricsRegistry(() => []).collect()) declared.set(f.name, f);
  });
  const family = (name: string, samples: CollectedFamily['samples']): CollectedFamily => {
    const d = declared.get(name);
    if (!d) throw new Error(`no family ${name}`);
    return { ...d, samples };
  };
  const worker = (requests: number, version: number, rss: number, expiry = 3600): CollectedFamily[] => [
    family('trellis_requests_total', [{ labels: { code: 200 }, value: requests }]),
    family('trellis_request_duration_seconds', [{ suffix: '_count', labels: { code_class: '2xx' }, value: requests }]),
    family('trellis_config_version', [{ labels: { service: 'back.default' }, value: version }]),
    family('trellis_certificate_expiry_seconds', [{ labels: { service: 'back.default' }, value: expiry }]),
    family('trellis_proxy_process_resident_memory_bytes', [{ value: rss }]),
    family('trellis_proxy_process_start_time_seconds', [{ value: 1000 + requests }]),
    family('trellis_proxy_nodejs_eventloop_lag_seconds', [{ value: requests / 100 }]),
  ];
  const renderMerged = (lists: CollectedFamily[][]) => render(asFamilies(mergeFamilies(lists)));

  it('sum counters, histograms and memory; show the process furthest behind for config version and certificate expiry', () => {
    const lists = [worker(3, 7, 100, 60), worker(4, 8, 50)];
    const before = JSON.stringify(lists);
    const text = renderMerged(lists);
    expect(text).toContain('trellis_requests_total{code="200"} 7\n');
    expect(text).toContain('trellis_request_duration_seconds_count{code_class="2xx"} 7\n');
    // A worker that missed a snapshot or a renewal shows, rather than hiding behind the others.
    expect(text).toContain('trellis_config_version{service="back.default"} 7\n');
    expect(text).toContain('trellis_certificate_expiry_seconds{service="back.default"} 60\n');
    expect(text).toContain('trellis_proxy_process_resident_memory_bytes 150\n');
    expect(text).toContain('trellis_proxy_process_start_time_seconds 1003\n');
    expect(text).toContain('trellis_proxy_nodejs_eventloop_lag_seconds 0.04\n');
    expect(text.match(/# TYPE trellis_requests_total counter/g)).toHaveLength(1);
    // The inputs are what they were: the primary keeps them as each worker's last answer.
    expect(JSON.stringify(lists)).toBe(before);
  });

  it('merge a series present in one process only, and give the same answer whatever the order', () => {
    const one = [family('trellis_requests_total', [{ labels: { code: 200 }, value: 2 }, { labels: { code: 503 }, value: 1 }])];
    const other = [family('trellis_requests_total', [{ labels: { code: 200 }, value: 5 }]), family('trellis_grpc_requests_total', [{ labels: { grpc_status: 0 }, value: 4 }])];
    const text = renderMerged([one, other]);
    expect(text).toContain('trellis_requests_total{code="503"} 1\n');
    expect(text).toContain('trellis_grpc_requests_total{grpc_status="0"} 4\n');
    const sorted = (t: string) => t.split('\n').sort().join('\n');
    expect(sorted(renderMerged([other, one]))).toBe(sorted(text));
  });

  it('never let a counter go down when a worker misses a scrape or exits', async () => {
    const requests = (text: string) => Number(/^trellis_requests_total\{code="200"\} (\d+)$/m.exec(text)?.[1]);
    let answers: WorkerMetrics[] = [];
    const answer = (pid: number, n: number): WorkerMetrics => ({ slot: pid, pid, families: worker(n, 1, 100), requests: n, rss: 100 });
    const cluster = new ClusterMetrics({ collect: async () => [] }, async () => answers, () => 0);
    answers = [answer(11, 5), answer(12, 3)];
    expect(requests(await cluster.metrics())).toBe(8);
    // 12 is slow this time: its last answer stands in.
    answers = [answer(11, 6)];
    expect(requests(await cluster.metrics())).toBe(9);
    // 12 exits; its replacement 13 starts from 0, and an answer of 12's that crossed its exit is ignored.
    cluster.retire(12);
    answers = [answer(11, 7), answer(12, 4)];
    const text = await cluster.metrics();
    expect(requests(text)).toBe(10);
    // The dead worker's memory is not the proxy's any more.
    expect(text).toContain('trellis_proxy_process_resident_memory_bytes 100\n');
    answers = [answer(11, 7), answer(13, 2)];
    expect(requests(await cluster.metrics())).toBe(12);
  });
});
