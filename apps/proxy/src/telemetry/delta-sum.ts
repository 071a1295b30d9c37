import type { EdgeDelta } from '@trellis/shared';
import type { DeltaSource } from './reporter.ts';

type Counts = Record<string, number>;

function addCounts(into: Counts, from: Readonly<Counts>): void {
  for (const key in from) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/** Counts a delta carries only when it has any: absent on both sides stays absent in the sum. */
const OPTIONAL_COUNTS = ['mtls', 'plain', 'attempts', 'failedAttempts'] as const;

const optional = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));

/**
 * The edge deltas several worker processes sent (--workers), summed per edge until the primary's
 * reporter takes them: the control plane hears one proxy with one report a second, as without workers.
 */
export class DeltaSum implements DeltaSource {
  private edges = new Map<string, EdgeDelta>();

  add(deltas: readonly EdgeDelta[]): void {
    for (const d of deltas) {
      const key = `${d.side}\n${d.source}\n${d.destination}\n${d.route}\n${d.version ?? ''}`;
      const into = this.edges.get(key);
      if (!into) {
        this.edges.set(key, { ...d, codes: { ...d.codes }, latency: { ...d.latency }, ...(d.grpc ? { grpc: { ...d.grpc } } : {}) });
        continue;
      }
      addCounts(into.codes, d.codes);
      addCounts(into.latency, d.latency);
      into.retries += d.retries;
      into.rateLimited += d.rateLimited;
      into.ejections += d.ejections;
      for (const field of OPTIONAL_COUNTS) {
        const sum = optional(into[field], d[field]);
        if (sum !== undefined) into[field] = sum;
      }
      if (d.grpc) addCounts((into.grpc ??= {}), d.grpc);
    }
  }

  takeDeltas(): EdgeDelta[] {
    const out = [...this.edges.values()];
    this.edges = new Map();
    return out;
  }
}
