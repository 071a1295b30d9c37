import type cytoscape from 'cytoscape';
import type { ElementDefinition } from 'cytoscape';

type Stylesheet = cytoscape.StylesheetStyle;
import { fmtMs, fmtPct, fmtRps } from '@/lib/format';
import { HEALTH_COLORS, healthOf } from '@/lib/health';
import type { GraphEdge, GraphNode } from '@/lib/trpc';

/** A graph big enough that labels are drawn only when zoomed in and edges are straight lines. */
export const LARGE_GRAPH = { nodes: 120, edges: 300 };

export interface NodeData {
  id: string;
  label: string;
  color: string;
  external: boolean;
  health: string;
}

export interface EdgeData {
  id: string;
  source: string;
  target: string;
  label: string;
  color: string;
  width: number;
  health: string;
}

export function nodeData(n: GraphNode): NodeData {
  const health = healthOf(n.inbound);
  const versions = n.versions.length > 0 ? `\n${n.versions.join(' · ')}` : '';
  return { id: n.id, label: n.external ? 'external' : `${n.name}${versions}`, color: HEALTH_COLORS[health], external: n.external, health };
}

/** "24 rps · 99.2% · p99 48ms", plus the version split when more than one version served the edge. */
export function edgeLabel(e: GraphEdge): string {
  const s = e.stats;
  const main = `${fmtRps(s.rps)} rps · ${fmtPct(s.successRate)} · p99 ${fmtMs(s.p99Ms)}`;
  if (e.versions.length < 2) return main;
  return `${main}\n${e.versions.map((v) => `${v.version} ${Math.round(v.share * 100)}%`).join(' · ')}`;
}

export function edgeData(e: GraphEdge): EdgeData {
  const health = healthOf(e.stats);
  // Width grows with the log of the rate: 0.1 rps is a hairline, 1,000 rps is thick but not a wall.
  const width = 1.2 + Math.min(5, Math.max(0, Math.log10(Math.max(e.stats.rps, 0.1) * 10)) * 1.2);
  return { id: e.id, source: e.source, target: e.destination, label: edgeLabel(e), color: HEALTH_COLORS[health], width: Math.round(width * 10) / 10, health };
}

export function sameData(a: Record<string, unknown>, b: object): boolean {
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) return false;
  return true;
}

export function toElement(group: 'nodes' | 'edges', data: NodeData | EdgeData, position?: { x: number; y: number }): ElementDefinition {
  return position ? { group, data: { ...data }, position: { ...position } } : { group, data: { ...data } };
}

export function graphStyle(large: boolean): Stylesheet[] {
  const font = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif';
  return [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: large ? 92 : 136,
        height: large ? 30 : 44,
        'background-color': '#ffffff',
        'border-width': large ? 2 : 2.5,
        'border-color': 'data(color)',
        label: 'data(label)',
        'font-family': font,
        'font-size': large ? 10 : 12,
        'font-weight': 600,
        color: '#1d2433',
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'wrap',
        'text-max-width': large ? '86px' : '128px',
        'line-height': 1.35,
        'min-zoomed-font-size': large ? 7 : 0,
        'overlay-padding': 4,
        'transition-property': 'border-color',
        'transition-duration': 300,
      },
    },
    {
      selector: 'node[?external]',
      style: { shape: 'ellipse', width: large ? 70 : 92, 'background-color': '#f2f4f7', 'border-style': 'dashed', 'border-color': '#98a2b3', color: '#475467' },
    },
    {
      selector: 'edge',
      style: {
        width: 'data(width)',
        'line-color': 'data(color)',
        'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        'curve-style': large ? 'straight' : 'bezier',
        'control-point-step-size': 50,
        opacity: large ? 0.55 : 0.9,
        label: 'data(label)',
        'font-family': font,
        'font-size': 10,
        'font-weight': 500,
        color: '#344054',
        'text-wrap': 'wrap',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.92,
        'text-background-padding': '2px',
        'text-background-shape': 'roundrectangle',
        'text-border-color': '#e4e7ec',
        'text-border-width': 1,
        'text-border-opacity': 1,
        'min-zoomed-font-size': large ? 9 : 0,
        'line-height': 1.3,
      },
    },
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
    { selector: 'edge.neighbour', style: { opacity: 1 } },
  ] as Stylesheet[];
}
