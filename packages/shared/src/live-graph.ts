import { z } from 'zod';

/*
 * The live service graph (graph.live): the shape of the graph, the messages the subscription sends, and
 * the three functions both ends share — quantise (figures at the precision the dashboard shows), diff (server)
 * and apply (dashboard). The subscription sends one `full` message, then one `delta` a second with only what
 * changed at display precision; a delta applies only on top of the message numbered `seq - 1`, and a viewer
 * that sees a gap asks for a full graph again. So a graph rebuilt from deltas equals, field for field, the
 * quantised graph the server would have sent whole.
 */

const ratio = z.number().min(0).max(1).nullable();

/** Traffic figures of an edge, or of what a service receives. */
export const graphStatsSchema = z.object({
  requests: z.number(),
  rps: z.number(),
  /** Share of requests answered without a 5xx (null without traffic). */
  successRate: ratio,
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  retriesPerSecond: z.number(),
  rateLimitedPerSecond: z.number(),
  ejections: z.number(),
  codes: z.object({ '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() }),
  /** Share of the requests that reached an endpoint which went over mutual TLS (null without any): 1 is a locked edge. */
  mtlsShare: ratio,
  /** Tries sent to endpoints (retries included). */
  attempts: z.number(),
  /**
   * Share of those tries that succeeded, before retries hid the failures (null without tries); successRate
   * is what callers got. Linkerd calls them actual and effective success rate.
   */
  actualSuccessRate: ratio,
  /** gRPC calls by grpc-status code ("0" OK, "14" UNAVAILABLE, ...); absent where no gRPC call was seen. */
  grpc: z.record(z.string(), z.number()).optional(),
});

export const graphNodeSchema = z.object({
  /** "name.namespace", or "external" for callers outside the mesh. */
  id: z.string(),
  name: z.string(),
  namespace: z.string(),
  external: z.boolean(),
  versions: z.array(z.string()),
  policies: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string() })),
  proxies: z.object({ total: z.number(), inSync: z.number() }),
  /** What the service receives. */
  inbound: graphStatsSchema.nullable(),
  /** Its mTLS mode and identities (null for nodes known only from traffic, such as external). */
  security: z.object({ mtlsMode: z.string(), identities: z.array(z.string()), certificateExpiry: z.string().nullable() }).nullable(),
});

export const graphEdgeSchema = z.object({
  /** "source->destination". */
  id: z.string(),
  source: z.string(),
  destination: z.string(),
  stats: graphStatsSchema,
  /** How the destination's versions shared the edge's requests. */
  versions: z.array(z.object({ version: z.string(), rps: z.number(), share: z.number() })),
  /** Per-route figures (empty when asked without them). */
  routes: z.array(z.object({ route: z.string(), stats: graphStatsSchema })),
});

/** Nodes and edges, each sorted by id. */
export const serviceGraphSchema = z.object({
  generatedAt: z.string(),
  windowSeconds: z.number().int(),
  nodes: z.array(graphNodeSchema),
  edges: z.array(graphEdgeSchema),
});

export type GraphStats = z.infer<typeof graphStatsSchema>;
export type GraphNode = z.infer<typeof graphNodeSchema>;
export type GraphEdge = z.infer<typeof graphEdgeSchema>;
export type ServiceGraph = z.infer<typeof serviceGraphSchema>;

/**
 * The figures a delta carries column by column (an edge's `stats`, a node's `inbound`). `requests` and
 * `codes.2xx` follow from the others (see deriveStats) and travel only when they do not; `versions` is the
 * edge's version split as [rps, share, rps, share, ...] in the order of its version names.
 */
export const LIVE_GRAPH_FIELDS = [
  'rps', 'successRate', 'p50Ms', 'p95Ms', 'p99Ms', 'retriesPerSecond', 'rateLimitedPerSecond', 'ejections',
  '3xx', '4xx', '5xx', 'mtlsShare', 'attempts', 'actualSuccessRate', 'requests', '2xx', 'versions',
] as const;
export type LiveGraphField = (typeof LIVE_GRAPH_FIELDS)[number];
const liveGraphField = z.enum(LIVE_GRAPH_FIELDS);

const figure = z.union([z.number(), z.null(), z.array(z.number())]);
/**
 * One column of changed figures, in whichever of two forms is shorter. Sparse: pairs flattened as
 * [step, value, step, value, ...], each step the distance in the (new, id-sorted) node or edge list from
 * the previous pair's position, the first counted from -1. Dense: `at`, a base64 bitmap of the positions
 * (bit i of byte i/8, lowest bit first), and `v`, their values in order.
 */
const column = z.union([z.array(figure), z.object({ at: z.string(), v: z.array(figure) })]);
type Column = z.infer<typeof column>;

/** The figures of a stats block that do not travel in columns: its gRPC counts. */
const hollowStats = z.object({ grpc: z.record(z.string(), z.number()).optional() });

/**
 * The whole graph (first message, periodic resync, and after any gap), a quarter of its plain JSON: nodes and
 * edges without their figures, then every figure in columns, as a delta from a graph of zeros would carry them.
 */
export const liveGraphFullSchema = z.object({
  type: z.literal('full'),
  seq: z.number().int().min(0),
  generatedAt: z.string(),
  windowSeconds: z.number().int(),
  /** Nodes, each with `inbound` null (no traffic in) or holding only its gRPC counts. */
  nodes: z.array(graphNodeSchema.extend({ inbound: hollowStats.nullable() })),
  /** Edges as "source->destination" ids, with their version names, per-route figures and gRPC counts. */
  edges: z.array(z.object({ id: z.string(), versions: z.array(z.string()), routes: graphEdgeSchema.shape.routes, stats: hollowStats })),
  nodeFigures: z.partialRecord(liveGraphField, column).optional(),
  edgeFigures: z.partialRecord(liveGraphField, column).optional(),
});

/** What changed since message `seq - 1`: applied in the order remove, set, then figures. */
export const liveGraphDeltaSchema = z.object({
  type: z.literal('delta'),
  seq: z.number().int().min(1),
  generatedAt: z.string(),
  /** Ids gone from the graph. */
  remove: z.object({ nodes: z.array(z.string()).optional(), edges: z.array(z.string()).optional() }).optional(),
  /**
   * Nodes and edges added, or replaced whole (something besides figures changed: versions, policies, a
   * stats block appearing or going): each with its position in the new id-sorted list.
   */
  set: z
    .object({
      nodes: z.array(z.object({ at: z.number().int().min(0), node: graphNodeSchema })).optional(),
      edges: z.array(z.object({ at: z.number().int().min(0), edge: graphEdgeSchema })).optional(),
    })
    .optional(),
  /** Changed figures of nodes' `inbound`, by field. */
  nodes: z.partialRecord(liveGraphField, column).optional(),
  /** Changed figures of edges' `stats` (and `versions`), by field. */
  edges: z.partialRecord(liveGraphField, column).optional(),
});

export const liveGraphMessageSchema = z.discriminatedUnion('type', [liveGraphFullSchema, liveGraphDeltaSchema]);
export type LiveGraphFull = z.infer<typeof liveGraphFullSchema>;
export type LiveGraphDelta = z.infer<typeof liveGraphDeltaSchema>;
export type LiveGraphMessage = z.infer<typeof liveGraphMessageSchema>;

// ---- Display precision (apps/web/src/lib/format.ts prints the figures rounded by these) ----

/**
 * Requests per second as fmtRps prints them: 0.01 below 0.1, 0.1 below 10, whole below 10k, then 100s.
 * Some traffic never rounds to none: below 0.005 it is 0.001 ("0.00", not "0").
 */
export function quantiseRate(v: number): number {
  if (v === 0) return 0;
  if (v < 0.1) return Math.max(0.001, Math.round(v * 100) / 100);
  if (v < 10) return Math.round(v * 10) / 10;
  if (v < 10_000) return Math.round(v);
  return Math.round(v / 100) * 100;
}

/** A share (0..1) as fmtPct prints it: 0.1 %. */
export function quantiseShare(v: number | null): number | null {
  return v === null ? null : Math.round(v * 1000) / 1000;
}

/** A latency as fmtMs prints it: 0.01 ms below 1 ms, 0.1 below 10, whole ms below 1 s, then 10 ms, 100 ms, 0.1 min. */
export function quantiseMs(v: number | null): number | null {
  if (v === null) return null;
  if (v < 1) return Math.round(v * 100) / 100;
  if (v < 10) return Math.round(v * 10) / 10;
  if (v < 1000) return Math.round(v);
  if (v < 10_000) return Math.round(v / 10) * 10;
  if (v < 60_000) return Math.round(v / 100) * 100;
  return Math.round(v / 6000) * 6000;
}

/** A count as fmtCount prints it: whole below 1,000, then 100s below 10k, 1,000s below 1M, then 100k. */
export function quantiseCount(v: number): number {
  if (v < 1000) return Math.round(v);
  if (v < 10_000) return Math.round(v / 100) * 100;
  if (v < 1_000_000) return Math.round(v / 1000) * 1000;
  return Math.round(v / 100_000) * 100_000;
}

/** Two significant digits: for counts the dashboard only weighs other figures by (never prints). */
function quantiseWeight(v: number): number {
  return v < 100 ? Math.round(v) : Number(v.toPrecision(2));
}

/**
 * `requests` is the displayed rate times the window (at least 1 when there was any traffic), and 2xx what
 * is left of it after the other classes: both follow from the figures shown, so a delta rarely carries them.
 */
export function deriveStats(s: GraphStats, windowSeconds: number): void {
  s.requests = Math.round(s.rps * windowSeconds);
  s.codes['2xx'] = Math.max(0, s.requests - s.codes['3xx'] - s.codes['4xx'] - s.codes['5xx']);
}

/** One stats block at display precision. */
export function quantiseStats(s: GraphStats, windowSeconds: number): GraphStats {
  const out: GraphStats = {
    requests: 0,
    rps: quantiseRate(s.rps),
    successRate: quantiseShare(s.successRate),
    p50Ms: quantiseMs(s.p50Ms),
    p95Ms: quantiseMs(s.p95Ms),
    p99Ms: quantiseMs(s.p99Ms),
    retriesPerSecond: quantiseRate(s.retriesPerSecond),
    rateLimitedPerSecond: quantiseRate(s.rateLimitedPerSecond),
    ejections: quantiseCount(s.ejections),
    codes: { '2xx': 0, '3xx': quantiseCount(s.codes['3xx']), '4xx': quantiseCount(s.codes['4xx']), '5xx': quantiseCount(s.codes['5xx']) },
    mtlsShare: quantiseShare(s.mtlsShare),
    attempts: quantiseWeight(s.attempts),
    actualSuccessRate: quantiseShare(s.actualSuccessRate),
  };
  deriveStats(out, windowSeconds);
  // A trickle too thin to show as a rate still counts as traffic (health and filters look at requests).
  if (s.requests > 0 && out.requests === 0) {
    out.requests = 1;
    out.codes['2xx'] = Math.max(0, 1 - out.codes['3xx'] - out.codes['4xx'] - out.codes['5xx']);
  }
  if (s.grpc) out.grpc = Object.fromEntries(Object.entries(s.grpc).map(([code, n]) => [code, quantiseCount(n)]));
  return out;
}

/** An edge's version split that follows from its stats: one version taking every request has the edge's rate. */
function deriveVersions(versions: GraphEdge['versions'], stats: GraphStats): GraphEdge['versions'] {
  const only = versions.length === 1 ? versions[0] : undefined;
  return only && only.share === 1 && only.rps !== stats.rps ? [{ ...only, rps: stats.rps }] : versions;
}

/** The graph at the precision the dashboard shows: what graph.live sends, whole or as deltas. */
export function quantiseGraph(g: ServiceGraph): ServiceGraph {
  const w = g.windowSeconds;
  return {
    generatedAt: g.generatedAt,
    windowSeconds: w,
    nodes: g.nodes.map((n) => ({ ...n, inbound: n.inbound ? quantiseStats(n.inbound, w) : null })),
    edges: g.edges.map((e) => {
      const stats = quantiseStats(e.stats, w);
      return {
        ...e,
        stats,
        versions: e.versions.map((v) => ({ version: v.version, rps: quantiseRate(v.rps), share: quantiseShare(v.share) ?? 0 })),
        routes: e.routes.map((r) => ({ route: r.route, stats: quantiseStats(r.stats, w) })),
      };
    }),
  };
}

// ---- Columns ----

type Scalar = number | null;

function read(s: GraphStats, f: Exclude<LiveGraphField, 'versions'>): Scalar {
  switch (f) {
    case '2xx':
    case '3xx':
    case '4xx':
    case '5xx':
      return s.codes[f];
    default:
      return s[f];
  }
}

function write(s: GraphStats, f: Exclude<LiveGraphField, 'versions'>, v: Scalar): void {
  switch (f) {
    case '2xx':
    case '3xx':
    case '4xx':
    case '5xx':
      s.codes[f] = v ?? 0;
      return;
    case 'successRate':
    case 'p50Ms':
    case 'p95Ms':
    case 'p99Ms':
    case 'mtlsShare':
    case 'actualSuccessRate':
      s[f] = v;
      return;
    default:
      s[f] = v ?? 0;
  }
}

const BASE_FIELDS = LIVE_GRAPH_FIELDS.filter((f): f is Exclude<LiveGraphField, 'requests' | '2xx' | 'versions'> => f !== 'requests' && f !== '2xx' && f !== 'versions');
const DERIVED_FIELDS = ['requests', '2xx'] as const;

type Figure = Scalar | number[];
/** Changed figures by field, as positions and values, while a delta is being made. */
type Columns = Partial<Record<LiveGraphField, { at: number[]; v: Figure[] }>>;

/** Appends one changed figure at position `at` to its column (positions arrive in increasing order). */
function push(cols: Columns, f: LiveGraphField, at: number, v: Figure): void {
  const col = (cols[f] ??= { at: [], v: [] });
  col.at.push(at);
  col.v.push(v);
}

/** A column in its shorter wire form (see `column`). */
function encodeColumn(col: { at: number[]; v: Figure[] }): Column {
  const steps: Figure[] = [];
  col.at.forEach((at, i) => steps.push(at - (col.at[i - 1] ?? -1), col.v[i] ?? null));
  const last = col.at[col.at.length - 1] ?? 0;
  // A step costs about two characters, a position in the bitmap a sixth of one.
  if (col.at.length * 2 < ((last >> 3) + 1) * 1.4) return steps;
  const bits = new Uint8Array((last >> 3) + 1);
  for (const at of col.at) bits[at >> 3] = (bits[at >> 3] ?? 0) | (1 << (at & 7));
  return { at: btoa(String.fromCharCode(...bits)), v: col.v };
}

/** A column's positions and values, whichever form it came in. */
function decodeColumn(col: Column): { at: number[]; v: Figure[] } {
  if (Array.isArray(col)) {
    const out = { at: [] as number[], v: [] as Figure[] };
    let at = -1;
    for (let i = 0; i + 1 < col.length; i += 2) {
      at += col[i] as number;
      out.at.push(at);
      out.v.push(col[i + 1] ?? null);
    }
    return out;
  }
  const bits = atob(col.at);
  const at: number[] = [];
  for (let i = 0; i < bits.length; i++) {
    const byte = bits.charCodeAt(i);
    for (let b = 0; b < 8; b++) if (byte & (1 << b)) at.push(i * 8 + b);
  }
  return { at, v: col.v };
}

function encodeColumns(cols: Columns): Partial<Record<LiveGraphField, Column>> {
  const out: Partial<Record<LiveGraphField, Column>> = {};
  for (const f of LIVE_GRAPH_FIELDS) {
    const col = cols[f];
    if (col) out[f] = encodeColumn(col);
  }
  return out;
}

/** Pushes the figures of `next` that differ from `prev` once `prev` is patched and derived as the viewer will. */
function diffStats(cols: Columns, at: number, prev: GraphStats, next: GraphStats, w: number): GraphStats {
  const patched: GraphStats = { ...prev, codes: { ...prev.codes } };
  for (const f of BASE_FIELDS) {
    const v = read(next, f);
    if (v !== read(prev, f)) {
      push(cols, f, at, v);
      write(patched, f, v);
    }
  }
  deriveStats(patched, w);
  for (const f of DERIVED_FIELDS) {
    const v = read(next, f);
    if (v !== read(patched, f)) push(cols, f, at, v);
  }
  return patched;
}

const flatVersions = (v: GraphEdge['versions']) => v.flatMap((x) => [x.rps, x.share]);
const sameNumbers = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Everything but the figures a column can carry: when this differs, the node or edge is sent whole. */
function nodeShape(n: GraphNode): string {
  return JSON.stringify([n.name, n.namespace, n.external, n.versions, n.policies, n.proxies, n.security, n.inbound === null, n.inbound?.grpc]);
}
function edgeShape(e: GraphEdge): string {
  return JSON.stringify([e.source, e.destination, e.versions.map((v) => v.version), e.routes, e.stats.grpc]);
}

const zeroStats = (grpc: Record<string, number> | undefined): GraphStats => ({
  requests: 0,
  rps: 0,
  successRate: null,
  p50Ms: null,
  p95Ms: null,
  p99Ms: null,
  retriesPerSecond: 0,
  rateLimitedPerSecond: 0,
  ejections: 0,
  codes: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
  mtlsShare: null,
  attempts: 0,
  actualSuccessRate: null,
  ...(grpc ? { grpc } : {}),
});

/** The graph a full message's lists stand for before its figures are applied: every figure zero or null. */
function skeleton(full: Pick<LiveGraphFull, 'generatedAt' | 'windowSeconds' | 'nodes' | 'edges'>): ServiceGraph {
  return {
    generatedAt: full.generatedAt,
    windowSeconds: full.windowSeconds,
    nodes: full.nodes.map((n) => ({ ...n, inbound: n.inbound ? zeroStats(n.inbound.grpc) : null })),
    edges: full.edges.map((e) => {
      const arrow = e.id.indexOf('->');
      return {
        id: e.id,
        source: e.id.slice(0, arrow),
        destination: e.id.slice(arrow + 2),
        stats: zeroStats(e.stats.grpc),
        versions: e.versions.map((version) => ({ version, rps: 0, share: 0 })),
        routes: e.routes,
      };
    }),
  };
}

const grpcOnly = (s: GraphStats) => (s.grpc ? { grpc: s.grpc } : {});

/** The whole (quantised) graph as message number `seq`. */
export function fullLiveGraph(graph: ServiceGraph, seq: number): LiveGraphFull {
  const lists = {
    generatedAt: graph.generatedAt,
    windowSeconds: graph.windowSeconds,
    nodes: graph.nodes.map((n) => ({ ...n, inbound: n.inbound ? grpcOnly(n.inbound) : null })),
    edges: graph.edges.map((e) => ({ id: e.id, versions: e.versions.map((v) => v.version), routes: e.routes, stats: grpcOnly(e.stats) })),
  };
  const figures = diffLiveGraph(skeleton(lists), graph, seq);
  return { type: 'full', seq, ...lists, ...(figures.nodes ? { nodeFigures: figures.nodes } : {}), ...(figures.edges ? { edgeFigures: figures.edges } : {}) };
}

/** The ids in `prev` that `next` no longer has. */
function removedIds(prev: readonly { id: string }[], next: readonly { id: string }[]): string[] {
  const kept = new Set(next.map((x) => x.id));
  return prev.filter((x) => !kept.has(x.id)).map((x) => x.id);
}

/**
 * What changed from `prev` to `next` (both quantised, both sorted by id), as delta number `seq`. Applying
 * it to `prev` with applyLiveGraphDelta gives a graph equal to `next`.
 */
export function diffLiveGraph(prev: ServiceGraph, next: ServiceGraph, seq: number): LiveGraphDelta {
  const w = next.windowSeconds;
  const delta: LiveGraphDelta = { type: 'delta', seq, generatedAt: next.generatedAt };
  const remove: NonNullable<LiveGraphDelta['remove']> = {};
  const set: NonNullable<LiveGraphDelta['set']> = {};

  const prevNodes = new Map(prev.nodes.map((n) => [n.id, n]));
  const goneNodes = removedIds(prev.nodes, next.nodes);
  if (goneNodes.length) remove.nodes = goneNodes;
  const nodeCols: Columns = {};
  next.nodes.forEach((n, at) => {
    const p = prevNodes.get(n.id);
    if (!p || nodeShape(p) !== nodeShape(n)) (set.nodes ??= []).push({ at, node: n });
    else if (p.inbound && n.inbound) diffStats(nodeCols, at, p.inbound, n.inbound, w);
  });

  const prevEdges = new Map(prev.edges.map((e) => [e.id, e]));
  const goneEdges = removedIds(prev.edges, next.edges);
  if (goneEdges.length) remove.edges = goneEdges;
  const edgeCols: Columns = {};
  next.edges.forEach((e, at) => {
    const p = prevEdges.get(e.id);
    if (!p || edgeShape(p) !== edgeShape(e)) {
      (set.edges ??= []).push({ at, edge: e });
      return;
    }
    const patched = diffStats(edgeCols, at, p.stats, e.stats, w);
    const versions = flatVersions(e.versions);
    if (!sameNumbers(versions, flatVersions(deriveVersions(p.versions, patched)))) push(edgeCols, 'versions', at, versions);
  });

  if (remove.nodes || remove.edges) delta.remove = remove;
  if (set.nodes || set.edges) delta.set = set;
  if (Object.keys(nodeCols).length) delta.nodes = encodeColumns(nodeCols);
  if (Object.keys(edgeCols).length) delta.edges = encodeColumns(edgeCols);
  return delta;
}

/** Removes `gone` ids, then puts each `set` item at its position (replacing the old one of the same id). */
function splice<T extends { id: string }>(list: T[], gone: string[] | undefined, set: { at: number; item: T }[]): T[] {
  if (!gone?.length && !set.length) return list;
  const drop = new Set([...(gone ?? []), ...set.map((s) => s.item.id)]);
  const out = list.filter((x) => !drop.has(x.id));
  for (const { at, item } of [...set].sort((a, b) => a.at - b.at)) out.splice(at, 0, item);
  return out;
}

/** Applies the columns to the stats of the listed items, copying each item it changes. */
function applyColumns<T>(
  list: T[],
  cols: Partial<Record<LiveGraphField, Column>> | undefined,
  statsOf: (item: T) => GraphStats | null,
  withStats: (item: T, stats: GraphStats, versions: number[] | undefined) => T,
  w: number,
): void {
  if (!cols) return;
  const changes = new Map<number, Map<LiveGraphField, Scalar | number[]>>();
  for (const f of LIVE_GRAPH_FIELDS) {
    const col = cols[f];
    if (!col) continue;
    const { at, v } = decodeColumn(col);
    at.forEach((p, i) => {
      let c = changes.get(p);
      if (!c) changes.set(p, (c = new Map()));
      c.set(f, v[i] ?? null);
    });
  }
  for (const [at, c] of changes) {
    const item = list[at];
    const prev = item === undefined ? null : statsOf(item);
    if (item === undefined || !prev) throw new Error(`live graph delta: no figures at position ${at}`);
    const stats: GraphStats = { ...prev, codes: { ...prev.codes } };
    for (const f of BASE_FIELDS) if (c.has(f)) write(stats, f, c.get(f) as Scalar);
    deriveStats(stats, w);
    for (const f of DERIVED_FIELDS) if (c.has(f)) write(stats, f, c.get(f) as Scalar);
    list[at] = withStats(item, stats, c.get('versions') as number[] | undefined);
  }
}

/**
 * The graph after one message: a full graph as it comes, a delta on top of `held` (the graph of message
 * `heldSeq`). Returns null when the delta does not follow `held` (a gap): the viewer should ask for a full
 * graph. Unchanged nodes and edges keep their identity; changed ones are new objects.
 */
export function applyLiveGraphMessage(held: { seq: number; graph: ServiceGraph } | null, msg: LiveGraphMessage): { seq: number; graph: ServiceGraph } | null {
  if (msg.type === 'delta' && (!held || msg.seq !== held.seq + 1)) return null;
  const g = msg.type === 'full' ? skeleton(msg) : (held?.graph ?? skeleton({ generatedAt: '', windowSeconds: 0, nodes: [], edges: [] }));
  const w = g.windowSeconds;
  try {
    const nodes = msg.type === 'full' ? g.nodes : splice(g.nodes, msg.remove?.nodes, (msg.set?.nodes ?? []).map((s) => ({ at: s.at, item: s.node })));
    const edges = msg.type === 'full' ? g.edges : splice(g.edges, msg.remove?.edges, (msg.set?.edges ?? []).map((s) => ({ at: s.at, item: s.edge })));
    const nodeList = nodes === g.nodes && msg.type === 'delta' ? [...nodes] : nodes;
    const edgeList = edges === g.edges && msg.type === 'delta' ? [...edges] : edges;
    applyColumns(nodeList, msg.type === 'full' ? msg.nodeFigures : msg.nodes, (n) => n.inbound, (n, inbound) => ({ ...n, inbound }), w);
    applyColumns(
      edgeList,
      msg.type === 'full' ? msg.edgeFigures : msg.edges,
      (e) => e.stats,
      (e, stats, flat) => {
        const versions = flat ? e.versions.map((v, i) => ({ version: v.version, rps: flat[2 * i] ?? 0, share: flat[2 * i + 1] ?? 0 })) : deriveVersions(e.versions, stats);
        return { ...e, stats, versions };
      },
      w,
    );
    return { seq: msg.seq, graph: { generatedAt: msg.generatedAt, windowSeconds: w, nodes: nodeList, edges: edgeList } };
  } catch {
    return null;
  }
}
