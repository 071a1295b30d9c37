import { healthOf } from './health';
import type { GraphEdge, GraphNode, ServiceGraph, Stats } from './trpc';

/** The service or line the person picked on the canvas or in the tables (null: nothing). */
export type Selection = { type: 'node' | 'edge'; id: string } | null;

/**
 * What part of the graph to draw, so a mesh of hundreds of services stays readable: namespaces folded
 * into one box each, one service's neighbourhood, or only the edges with trouble. Pure: the page derives
 * the drawn graph from the live one on every update.
 */
export interface ViewOptions {
  /** Namespaces drawn as one box (a node whose id is namespaceNodeId(ns)). */
  collapsed: ReadonlySet<string>;
  /** Only this service and what is within `hops` calls of it, either way. */
  focus: string | null;
  hops: number;
  /** all: every edge; traffic: edges with requests; problems: edges below the healthy threshold and their ends. */
  edges: 'all' | 'traffic' | 'problems';
  /** Each version of a service that has several (a canary) as its own node inside the service's box. */
  versions: boolean;
  /** Unfolded namespaces drawn as boxes around their services (a mesh of more than one namespace). */
  boxes: boolean;
}

export const DEFAULT_VIEW: ViewOptions = { collapsed: new Set(), focus: null, hops: 1, edges: 'all', versions: false, boxes: false };

/**
 * A node of the drawn graph: a service, a folded namespace with how many services it holds (`members`), an
 * unfolded namespace's box around its services (`box`: how many are drawn in it; cytoscape draws it as a
 * compound parent), or one version of a service drawn inside it. `parent` is the node it is drawn inside.
 */
export type ViewNode = GraphNode & { members?: number; box?: number; parent?: string };
export type ViewGraph = Omit<ServiceGraph, 'nodes'> & { nodes: ViewNode[] };

const PREFIX = 'namespace:';
export const namespaceNodeId = (ns: string) => `${PREFIX}${ns}`;
export const folded = (id: string): string | null => (id.startsWith(PREFIX) ? id.slice(PREFIX.length) : null);
const BOX = 'box:';
export const namespaceBoxId = (ns: string) => `${BOX}${ns}`;
/** The namespace whose box this is, or null for any other node. */
export const boxOf = (id: string): string | null => (id.startsWith(BOX) ? id.slice(BOX.length) : null);

/** Requests-weighted merge of several Stats (latency percentiles: the highest, an upper bound). */
export function mergeStats(all: readonly Stats[]): Stats {
  const sum = (f: (s: Stats) => number) => all.reduce((t, s) => t + f(s), 0);
  const weighted = (value: (s: Stats) => number | null, weight: (s: Stats) => number) => {
    let w = 0;
    let v = 0;
    for (const s of all) {
      const x = value(s);
      if (x === null) continue;
      w += weight(s);
      v += x * weight(s);
    }
    return w > 0 ? v / w : null;
  };
  const highest = (f: (s: Stats) => number | null) => {
    const xs = all.map(f).filter((x): x is number => x !== null);
    return xs.length ? Math.max(...xs) : null;
  };
  return {
    requests: sum((s) => s.requests),
    rps: sum((s) => s.rps),
    successRate: weighted((s) => s.successRate, (s) => s.requests),
    p50Ms: highest((s) => s.p50Ms),
    p95Ms: highest((s) => s.p95Ms),
    p99Ms: highest((s) => s.p99Ms),
    retriesPerSecond: sum((s) => s.retriesPerSecond),
    rateLimitedPerSecond: sum((s) => s.rateLimitedPerSecond),
    ejections: sum((s) => s.ejections),
    codes: { '2xx': sum((s) => s.codes['2xx']), '3xx': sum((s) => s.codes['3xx']), '4xx': sum((s) => s.codes['4xx']), '5xx': sum((s) => s.codes['5xx']) },
    mtlsShare: weighted((s) => s.mtlsShare, (s) => s.requests),
    attempts: sum((s) => s.attempts),
    actualSuccessRate: weighted((s) => s.actualSuccessRate, (s) => s.attempts),
  };
}

/** Folds the collapsed namespaces: their services become one node, their edges merge per other end. */
function collapse(graph: ServiceGraph, collapsed: ReadonlySet<string>): ViewGraph {
  if (collapsed.size === 0) return graph;
  const owner = (n: GraphNode) => (!n.external && collapsed.has(n.namespace) ? namespaceNodeId(n.namespace) : n.id);
  const ownerOf = new Map(graph.nodes.map((n) => [n.id, owner(n)]));
  const groups = new Map<string, GraphNode[]>();
  const nodes: ViewNode[] = [];
  for (const n of graph.nodes) {
    const id = ownerOf.get(n.id) ?? n.id;
    if (id === n.id) nodes.push(n);
    else groups.set(id, [...(groups.get(id) ?? []), n]);
  }
  for (const [id, members] of groups) {
    const ns = folded(id) ?? id;
    const inbound = members.map((m) => m.inbound).filter((s): s is Stats => s !== null);
    nodes.push({
      id,
      name: ns,
      namespace: ns,
      external: false,
      versions: [],
      policies: [],
      proxies: { total: members.reduce((t, m) => t + m.proxies.total, 0), inSync: members.reduce((t, m) => t + m.proxies.inSync, 0) },
      inbound: inbound.length ? mergeStats(inbound) : null,
      security: null,
      members: members.length,
    });
  }
  const merged = new Map<string, { source: string; destination: string; parts: GraphEdge[] }>();
  for (const e of graph.edges) {
    const source = ownerOf.get(e.source) ?? e.source;
    const destination = ownerOf.get(e.destination) ?? e.destination;
    // Calls inside a folded namespace are inside its box.
    if (source === destination && folded(source)) continue;
    const id = `${source}->${destination}`;
    const m = merged.get(id) ?? { source, destination, parts: [] };
    m.parts.push(e);
    merged.set(id, m);
  }
  const edges: GraphEdge[] = [...merged.entries()].map(([id, m]) =>
    m.parts.length === 1 && m.parts[0]?.id === id ? m.parts[0] : { id, source: m.source, destination: m.destination, stats: mergeStats(m.parts.map((p) => p.stats)), versions: [], routes: [] },
  );
  return { ...graph, nodes, edges };
}

export const versionNodeId = (service: string, version: string) => `${service}@${version}`;

/** Scales an edge's counts to a share of it (one version's part); rates and percentiles stay. */
function share(s: Stats, part: number): Stats {
  const c = s.codes;
  return {
    ...s,
    requests: Math.round(s.requests * part),
    rps: s.rps * part,
    retriesPerSecond: s.retriesPerSecond * part,
    rateLimitedPerSecond: s.rateLimitedPerSecond * part,
    attempts: Math.round(s.attempts * part),
    codes: { '2xx': Math.round(c['2xx'] * part), '3xx': Math.round(c['3xx'] * part), '4xx': Math.round(c['4xx'] * part), '5xx': Math.round(c['5xx'] * part) },
  };
}

/**
 * Services with several versions get a node per version inside them: calls in go to the versions by the
 * split the edge measured; calls out stay on the service (the proxies do not say which version made them).
 */
function splitVersions(view: ViewGraph): ViewGraph {
  const split = new Set(view.nodes.filter((n) => n.members === undefined && !n.external && n.versions.length > 1).map((n) => n.id));
  if (split.size === 0) return view;
  const edges: GraphEdge[] = [];
  const into = new Map<string, Stats[]>();
  for (const e of view.edges) {
    if (!split.has(e.destination) || e.versions.length === 0) {
      edges.push(e);
      continue;
    }
    for (const v of e.versions) {
      const destination = versionNodeId(e.destination, v.version);
      const stats = share(e.stats, v.share);
      edges.push({ ...e, id: `${e.source}->${destination}`, destination, stats, versions: [v], routes: [] });
      into.set(destination, [...(into.get(destination) ?? []), stats]);
    }
  }
  const nodes: ViewNode[] = [];
  for (const n of view.nodes) {
    nodes.push(n);
    if (!split.has(n.id)) continue;
    for (const v of n.versions) {
      const id = versionNodeId(n.id, v);
      const stats = into.get(id);
      nodes.push({ ...n, id, name: v, versions: [], policies: [], inbound: stats ? mergeStats(stats) : null, parent: n.id });
    }
  }
  return { ...view, nodes, edges };
}

/** The ids within `hops` calls of `focus`, following edges either way. */
function neighbourhood(edges: readonly GraphEdge[], focus: string, hops: number): Set<string> {
  const near = new Set([focus]);
  let frontier = [focus];
  for (let h = 0; h < hops && frontier.length > 0; h++) {
    const next: string[] = [];
    const inFrontier = new Set(frontier);
    for (const e of edges) {
      for (const [from, to] of [[e.source, e.destination], [e.destination, e.source]] as const) {
        if (inFrontier.has(from) && !near.has(to)) {
          near.add(to);
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  return near;
}

/**
 * A box per namespace around its services (and a service's versions, inside the service), so an unfolded
 * namespace still reads as one; folded namespaces and callers from outside stay outside any box.
 */
function boxNamespaces(view: ViewGraph): ViewGraph {
  const counts = new Map<string, number>();
  for (const n of view.nodes) if (!n.external && n.members === undefined && !n.parent) counts.set(n.namespace, (counts.get(n.namespace) ?? 0) + 1);
  if (counts.size === 0) return view;
  const nodes: ViewNode[] = [...counts].map(([ns, box]) => ({
    id: namespaceBoxId(ns),
    name: ns,
    namespace: ns,
    external: false,
    versions: [],
    policies: [],
    proxies: { total: 0, inSync: 0 },
    inbound: null,
    security: null,
    box,
  }));
  for (const n of view.nodes) nodes.push(!n.external && n.members === undefined && !n.parent ? { ...n, parent: namespaceBoxId(n.namespace) } : n);
  return { ...view, nodes };
}

/** The graph to draw for `options`: folding first, then the edge filter, then the focus, then the boxes. */
export function graphView(graph: ServiceGraph, options: ViewOptions): ViewGraph {
  let view = collapse(graph, options.collapsed);
  if (options.versions) view = splitVersions(view);
  if (options.edges !== 'all') {
    const keep = (e: GraphEdge) => (options.edges === 'traffic' ? e.stats.requests > 0 : ['degraded', 'failing'].includes(healthOf(e.stats)));
    const edges = view.edges.filter(keep);
    // Only problems: the services at their ends (the rest would be hundreds of unconnected boxes).
    const ends = new Set(edges.flatMap((e) => [e.source, e.destination]));
    if (options.focus) ends.add(options.focus);
    view = { ...view, edges, nodes: options.edges === 'problems' ? view.nodes.filter((n) => ends.has(n.id)) : view.nodes };
  }
  if (options.focus && view.nodes.some((n) => n.id === options.focus)) {
    const near = neighbourhood(view.edges, options.focus, options.hops);
    // A service's versions come with it, and a version's service.
    for (const n of view.nodes) if (n.parent && (near.has(n.parent) || near.has(n.id))) near.add(n.parent).add(n.id);
    view = { ...view, nodes: view.nodes.filter((n) => near.has(n.id)), edges: view.edges.filter((e) => near.has(e.source) && near.has(e.destination)) };
  }
  if (options.boxes) view = boxNamespaces(view);
  return view;
}

/** A key for the node positions of a view: each different subset is laid out on its own. */
export function viewKey(namespace: string, options: ViewOptions): string {
  return [namespace || '*', [...options.collapsed].sort().join(','), options.focus ? `${options.focus}~${options.hops}` : '', options.edges, options.versions ? 'versions' : '', options.boxes ? 'boxes' : ''].join('|');
}
