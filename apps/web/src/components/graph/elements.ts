import type cytoscape from 'cytoscape';
import type { ElementDefinition } from 'cytoscape';
import { fmtBeforeRetries, fmtMs, fmtPct, fmtRps, fmtSuccess } from '@/lib/format';
import { fmtGrpcStatuses, grpcStatusCounts } from '@/lib/grpc';
import { HEALTH_COLORS, healthOf, type Health } from '@/lib/health';
import { EDGE_TLS_LABEL, edgeTls, type EdgeTls } from '@/lib/security';
import type { ViewNode } from '@/lib/graph-view';
import type { GraphEdge } from '@/lib/trpc';

type Stylesheet = cytoscape.StylesheetStyle;

/** A graph this big draws edge labels only where someone looks, and cheaper edges. */
export const LARGE_GRAPH = { nodes: 120, edges: 300 };

/**
 * Styles come from selectors on a few discrete fields (health, width bucket) rather than per-element
 * data mappers: cytoscape then shares computed styles between elements, and a live update restyles
 * only the elements whose health or width bucket changed.
 */
export interface NodeData {
  id: string;
  label: string;
  external: boolean;
  /** A folded namespace (drawn as a box; a click unfolds it). */
  group: boolean;
  /** An unfolded namespace: the box its services are drawn in (a double click folds it). */
  box: boolean;
  health: Health;
  /** For one version of a service drawn inside it: the service's node (a cytoscape compound parent). */
  parent?: string;
}

export interface EdgeData {
  id: string;
  source: string;
  target: string;
  label: string;
  health: Health;
  /** Width bucket 0..9, two per tenfold of requests/s: 0.1 rps is a hairline, 1.7 and 20 rps look apart, 1,000 rps is thick. */
  wb: number;
  /** Whether its requests went over mutual TLS: plain (or partly plain) edges are drawn dashed. */
  tls: EdgeTls;
}

export function nodeData(n: ViewNode): NodeData {
  const versions = n.versions.length > 0 ? `\n${n.versions.join(' · ')}` : '';
  const label = n.external ? 'external' : n.members !== undefined ? `${n.name}\n${n.members} services ▸` : n.box !== undefined ? `${n.name} · ${n.box} service${n.box === 1 ? '' : 's'} ▾` : `${n.name}${versions}`;
  const data: NodeData = { id: n.id, label, external: n.external, group: n.members !== undefined, box: n.box !== undefined, health: healthOf(n.inbound) };
  if (n.parent) data.parent = n.parent;
  return data;
}

/**
 * "24 rps · 99.2% · p99 48ms" (" · gRPC" after it when the edge carries gRPC calls); when retries hid
 * failures, a second line says how many tries succeeded ("95.2% before retries"); then the version split
 * when more than one version served the edge.
 */
export function edgeLabel(e: GraphEdge): string {
  const s = e.stats;
  const lines = [`${fmtRps(s.rps)} rps · ${fmtPct(s.successRate)} · p99 ${fmtMs(s.p99Ms)}${s.grpc ? ' · gRPC' : ''}`];
  const beforeRetries = fmtBeforeRetries(s);
  if (beforeRetries) lines.push(beforeRetries);
  if (e.versions.length >= 2) lines.push(e.versions.map((v) => `${v.version} ${Math.round(v.share * 100)}%`).join(' · '));
  return lines.join('\n');
}

/** `label` is passed in: big graphs draw labels only where someone looks (see GraphCanvas). */
export function edgeData(e: GraphEdge, label: string): EdgeData {
  const wb = widthBucket(e.stats.rps);
  return { id: e.id, source: e.source, target: e.destination, label, health: healthOf(e.stats), wb, tls: edgeTls(e.stats.mtlsShare) };
}

/** Line widths by bucket: a tenfold of traffic is clearly a thicker line. */
const WIDTHS = [1, 1.6, 2.4, 3.4, 4.6, 6, 7.6, 9.4, 11.2, 13];

/** Two buckets per tenfold of requests/s, from 0.1 rps (0) up (9 at 3,000 rps and more). */
export function widthBucket(rps: number): number {
  return Math.max(0, Math.min(WIDTHS.length - 1, Math.round(2 * Math.log10(Math.max(rps, 0.1)) + 2)));
}

/** The hover tooltip of a service: its name and what comes in. */
export function nodeTooltip(n: ViewNode): string[] {
  if (n.external) return ['external callers', 'requests entering the mesh from outside'];
  if (n.members !== undefined) return [`namespace ${n.name} · ${n.members} services (folded)`, `in: ${fmtRps(n.inbound?.rps)} rps · ${fmtSuccess(n.inbound)}`, 'click to unfold'];
  if (n.box !== undefined) return [`namespace ${n.name} · ${n.box} service${n.box === 1 ? '' : 's'} drawn`, 'double-click its box to fold it'];
  const s = n.inbound;
  return [
    `${n.name} · ${n.namespace}${n.versions.length ? ` · ${n.versions.join(', ')}` : ''}`,
    s?.requests ? `in: ${fmtRps(s.rps)} rps · ${fmtSuccess(s)} · p99 ${fmtMs(s.p99Ms)}` : 'no inbound traffic',
    ...(n.policies.length ? [`policies: ${n.policies.map((p) => p.kind).join(', ')}`] : []),
  ];
}

/** The hover tooltip of an edge: both ends and every figure of its label, spelled out. */
export function edgeTooltip(e: GraphEdge): string[] {
  const s = e.stats;
  return [
    `${e.source} → ${e.destination}`,
    `${fmtRps(s.rps)} rps · success ${fmtSuccess(s)}`,
    `p50 ${fmtMs(s.p50Ms)} · p99 ${fmtMs(s.p99Ms)} · ${fmtRps(s.retriesPerSecond)} retries/s`,
    EDGE_TLS_LABEL[edgeTls(s.mtlsShare)],
    ...(s.grpc ? [`gRPC: ${fmtGrpcStatuses(grpcStatusCounts(s.grpc))}`] : []),
    ...(e.versions.length > 1 ? [e.versions.map((v) => `${v.version} ${Math.round(v.share * 100)}%`).join(' · ')] : []),
  ];
}

export function sameData(a: Record<string, unknown>, b: object): boolean {
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) return false;
  return true;
}

export function toElement(group: 'nodes' | 'edges', data: NodeData | EdgeData, position?: { x: number; y: number }): ElementDefinition {
  return position ? { group, data: { ...data }, position: { ...position } } : { group, data: { ...data } };
}

/** Opaque tints for big graphs: translucent lines are what makes canvas drawing slow there. */
const LARGE_EDGE_COLORS: Record<Health, string> = { healthy: '#9fd8b2', degraded: '#f3c27f', failing: '#f19a9a', idle: '#cfd5de' };
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif';

const NODE_LABEL = {
  label: 'data(label)',
  'font-family': FONT,
  'font-size': 14,
  'font-weight': 600,
  color: '#101828',
  'text-valign': 'center',
  'text-halign': 'center',
  'text-wrap': 'wrap',
  'text-max-width': '150px',
  'line-height': 1.35,
} as const;

/** An edge label's widest line: long ones wrap at the " · " between figures. */
export const EDGE_LABEL_WIDTH = 140;
/** Top to bottom, how far up its edge a label sits from the service it points at (its middle, in model pixels). */
const ABOVE_TARGET = 52;

const EDGE_LABEL = {
  label: 'data(label)',
  'font-family': FONT,
  'font-size': 12,
  'font-weight': 500,
  color: '#1d2433',
  'text-wrap': 'wrap',
  // Bounded, so a label fits between two columns (or above its service) without running under a box.
  'text-max-width': `${EDGE_LABEL_WIDTH}px`,
  'text-background-color': '#ffffff',
  'text-background-opacity': 0.92,
  'text-background-padding': '2px',
  'text-background-shape': 'roundrectangle',
  'text-border-color': '#e4e7ec',
  'text-border-width': 1,
  'text-border-opacity': 1,
  'line-height': 1.3,
} as const;

/**
 * `down`: the graph runs top to bottom (a narrow canvas). A service's callees then sit side by side in
 * one row, so labels at the edges' midpoints would pile up under the caller: each label goes near the
 * service the edge points at instead, just above it, where the callees' spacing keeps labels apart.
 */
export function graphStyle(large: boolean, down = false): Stylesheet[] {
  const healths = Object.keys(HEALTH_COLORS) as Health[];
  return [
    {
      selector: 'node',
      style: {
        shape: large ? 'rectangle' : 'round-rectangle',
        width: large ? 92 : 156,
        height: large ? 30 : 50,
        'background-color': '#ffffff',
        'border-width': large ? 2 : 2.5,
        'border-color': HEALTH_COLORS.idle,
        ...(large ? {} : { ...NODE_LABEL, 'transition-property': 'border-color', 'transition-duration': 300 }),
      },
    },
    // On a big graph names are drawn only zoomed in, for the nodes in view (GraphCanvas adds the class).
    ...(large ? [{ selector: 'node.named', style: NODE_LABEL }] : []),
    ...healths.map((h) => ({ selector: `node[health = "${h}"]`, style: { 'border-color': HEALTH_COLORS[h] } })),
    // A service drawn with its versions inside: a light box named at the top.
    {
      selector: 'node:parent',
      style: { 'background-color': '#f5f7ff', 'background-opacity': 0.9, 'border-style': 'dashed', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -6, padding: '14px', shape: 'round-rectangle' },
    },
    // A folded namespace: a bigger box with a double border, so it does not read as one service.
    {
      selector: 'node[?group]',
      style: { ...NODE_LABEL, shape: 'round-rectangle', width: large ? 150 : 190, height: large ? 56 : 64, 'background-color': '#eef2ff', 'border-style': 'double', 'border-width': 5 },
    },
    // An unfolded namespace: a plain box around its services, named at its top left, under everything else.
    {
      selector: 'node[?box]',
      style: {
        ...NODE_LABEL,
        shape: 'round-rectangle',
        'background-color': '#f1f3f9',
        'background-opacity': 0.7,
        'border-width': 1.5,
        'border-style': 'solid',
        'border-color': '#b4bdcc',
        padding: large ? '16px' : '24px',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -4,
        'font-size': large ? 16 : 14,
        color: '#344054',
        'text-max-width': '600px',
        'min-zoomed-font-size': 0,
      },
    },
    {
      selector: 'node[?external]',
      style: { shape: 'ellipse', width: large ? 70 : 92, 'background-color': '#f2f4f7', 'border-style': 'dashed', 'border-color': '#98a2b3', color: '#475467' },
    },
    {
      selector: 'edge',
      style: {
        width: WIDTHS[0],
        'line-color': HEALTH_COLORS.idle,
        'target-arrow-color': HEALTH_COLORS.idle,
        'target-arrow-shape': large ? 'none' : 'triangle',
        // Haystack lines (no arrows, no curve maths) keep 2,000 edges cheap; the layout reads left to right.
        'curve-style': large ? 'haystack' : 'bezier',
        ...(large ? { 'haystack-radius': 0 } : { 'arrow-scale': 0.9, 'control-point-step-size': 50, opacity: 0.9, ...EDGE_LABEL }),
      },
    },
    ...WIDTHS.map((w, i) => ({ selector: `edge[wb = ${i}]`, style: { width: w } })),
    ...healths.map((h) => ({
      selector: `edge[health = "${h}"]`,
      style: { 'line-color': large ? LARGE_EDGE_COLORS[h] : HEALTH_COLORS[h], 'target-arrow-color': HEALTH_COLORS[h] },
    })),
    ...healths.map((h) => ({ selector: `edge.labelled[health = "${h}"]`, style: { 'line-color': HEALTH_COLORS[h] } })),
    // Trouble on top: failing and degraded edges are drawn over healthy ones where they cross.
    { selector: 'edge[health = "degraded"]', style: { 'z-index': 2 } },
    { selector: 'edge[health = "failing"]', style: { 'z-index': 3 } },
    // Plain HTTP between services is the exception in a mesh: dashed, so it stands out at any size.
    { selector: 'edge[tls = "plain"], edge[tls = "mixed"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 4] } },
    // On a big graph only these edges carry labels (and arrows); every other edge has fewer properties to style.
    large
      ? { selector: 'edge.labelled', style: { 'curve-style': 'straight', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.9, 'z-index': 5, ...EDGE_LABEL, 'min-zoomed-font-size': 0 } }
      : { selector: 'edge.labelled', style: { 'z-index': 5 } },
    ...(down && !large
      ? [
          { selector: 'edge', style: { label: '', 'target-label': 'data(label)', 'target-text-offset': ABOVE_TARGET } },
          // Centred just above the service (GraphCanvas works out the shift from where the edge ends).
          { selector: 'edge[tmy]', style: { 'target-text-offset': 0, 'target-text-margin-x': 'data(tmx)', 'target-text-margin-y': 'data(tmy)' } },
        ]
      : []),
    { selector: '.faded', style: { opacity: 0.18 } },
    { selector: 'node.match', style: { 'border-width': 4, 'underlay-color': '#6366f1', 'underlay-opacity': 0.15, 'underlay-padding': 6 } },
    {
      selector: 'node.selected',
      style: { 'border-width': 4, 'underlay-color': '#4f46e5', 'underlay-opacity': 0.18, 'underlay-padding': 7, 'z-index': 10 },
    },
    {
      selector: 'edge.selected',
      style: { opacity: 1, 'underlay-color': '#4f46e5', 'underlay-opacity': 0.2, 'underlay-padding': 5, 'z-index': 10, 'text-border-color': '#a5b4fc', color: '#1d2433' },
    },
  ] as Stylesheet[];
}
