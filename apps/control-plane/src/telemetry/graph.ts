import type { GraphEdge, GraphNode, ServiceGraph } from '@trellis/shared';
import type { MetricWindows, Stats } from './windows.ts';

// The graph's shape is the wire schema's (@trellis/shared live-graph.ts): what is built here is what the
// dashboard validates and the live deltas diff, with no second copy of the types to drift.

export interface KnownService {
  name: string;
  namespace: string;
  versions: string[];
  policies: GraphNode['policies'];
  proxies: { total: number; inSync: number };
  security: NonNullable<GraphNode['security']>;
}

function splitId(id: string): [string, string] {
  const dot = id.indexOf('.');
  return dot < 0 ? [id, ''] : [id.slice(0, dot), id.slice(dot + 1)];
}

const SEP = '\u0000';

/**
 * The live service graph: known services as nodes, traffic seen in the window as edges. Each figure is
 * computed in one pass over the series, so a graph of thousands of edges stays cheap to rebuild.
 */
export function buildGraph(
  windows: MetricWindows,
  services: KnownService[],
  windowSeconds: number,
  namespace?: string,
  options: { routes?: boolean; only?: { source: string; destination: string } } = {},
): ServiceGraph {
  const windowMs = windowSeconds * 1000;
  const visible = (id: string) => !namespace || id === 'external' || splitId(id)[1] === namespace;
  const { only } = options;
  const onEdge = (k: { source: string; destination: string }) =>
    visible(k.source) && visible(k.destination) && (!only || (k.source === only.source && k.destination === only.destination))
      ? `${k.source}->${k.destination}`
      : undefined;
  const byEdge = windows.statsBy(windowMs, onEdge);
  const byVersion = windows.statsBy(windowMs, (k) => (k.version ? `${onEdge(k)}${SEP}${k.version}` : undefined));
  // Per-route figures are most of a big graph's size; the live graph can leave them out.
  const byRoute = options.routes === false ? new Map<string, Stats>() : windows.statsBy(windowMs, (k) => `${onEdge(k)}${SEP}${k.route}`);
  const inbound = windows.statsBy(windowMs, (k) => k.destination);

  const nodes = new Map<string, GraphNode>();
  for (const s of services) {
    const id = `${s.name}.${s.namespace}`;
    if (!visible(id)) continue;
    nodes.set(id, { id, name: s.name, namespace: s.namespace, external: false, versions: s.versions, policies: s.policies, proxies: s.proxies, inbound: inbound.get(id) ?? null, security: s.security });
  }
  const versionsOf = groupChildren(byVersion);
  const routesOf = groupChildren(byRoute);
  const edges: GraphEdge[] = [];
  for (const [id, stats] of [...byEdge].sort(([a], [b]) => a.localeCompare(b))) {
    if (stats.requests === 0) continue;
    const [source, destination] = id.split('->') as [string, string];
    for (const end of [source, destination]) {
      if (nodes.has(end)) continue;
      const [name, ns] = splitId(end);
      nodes.set(end, { id: end, name, namespace: ns, external: end === 'external', versions: [], policies: [], proxies: { total: 0, inSync: 0 }, inbound: inbound.get(end) ?? null, security: null });
    }
    edges.push({
      id,
      source,
      destination,
      stats,
      versions: (versionsOf.get(id) ?? [])
        .filter(([, v]) => v.requests > 0)
        .map(([version, v]) => ({ version, rps: v.rps, share: v.requests / stats.requests })),
      routes: (routesOf.get(id) ?? []).filter(([, r]) => r.requests > 0).map(([route, r]) => ({ route, stats: r })),
    });
  }
  return {
    generatedAt: new Date().toISOString(),
    windowSeconds,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges,
  };
}

/** "edge\0child" -> stats, regrouped as edge -> [child, stats][] sorted by child. */
function groupChildren(map: Map<string, Stats>): Map<string, [string, Stats][]> {
  const out = new Map<string, [string, Stats][]>();
  for (const [key, stats] of map) {
    const [edge = '', child = ''] = key.split(SEP);
    if (edge === 'undefined') continue;
    out.set(edge, [...(out.get(edge) ?? []), [child, stats]]);
  }
  for (const list of out.values()) list.sort(([a], [b]) => a.localeCompare(b));
  return out;
}
