import type { ServiceGraph, StoredResource } from './trpc';

export type TrafficSplit = Extract<StoredResource, { kind: 'TrafficSplit' }>;

/** The version label a backend selects ("version: v2"), or its name when it selects by something else. */
export function backendVersion(b: { name: string; selector: Record<string, string> }): string {
  return b.selector.version ?? b.name;
}

/** The split the proxies actually made: each version's share of the requests into `serviceId` over the graph's window. */
export function measuredSplit(graph: ServiceGraph | undefined, serviceId: string): { version: string; rps: number; share: number }[] {
  if (!graph) return [];
  const byVersion = new Map<string, number>();
  for (const e of graph.edges) {
    if (e.destination !== serviceId) continue;
    for (const v of e.versions) byVersion.set(v.version, (byVersion.get(v.version) ?? 0) + v.rps);
  }
  const total = [...byVersion.values()].reduce((s, r) => s + r, 0);
  return [...byVersion.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([version, rps]) => ({ version, rps, share: total ? rps / total : 0 }));
}

export function splitTarget(split: TrafficSplit): { name: string; namespace: string } {
  return { name: split.spec.targetRef.name, namespace: split.spec.targetRef.namespace ?? split.metadata.namespace };
}
