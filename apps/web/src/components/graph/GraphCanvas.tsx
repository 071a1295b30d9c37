'use client';

import cytoscape, { type Core, type EventObject } from 'cytoscape';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ellipseLayout, freeSpot, layeredLayout, type Point } from '@/lib/graph-layout';
import { boxOf, folded, type Selection, type ViewGraph } from '@/lib/graph-view';
import { bindTaps } from './taps';
import { EdgeLocks, lockPositions, type LockItem } from './EdgeLocks';
import { LARGE_GRAPH, edgeData, edgeLabel, edgeTooltip, graphStyle, nodeData, nodeTooltip, sameData, toElement } from './elements';

/** On a big graph, labels are drawn for at most this many edges in view (once zoomed in enough to read them). */
const MAX_LABELLED = 150;
const MAX_NAMED = 300;
const LABEL_ZOOM = 0.5;
/** A window narrower than this is a phone's (its canvas is too; a desktop's panel narrows only the canvas). */
const NARROW = 700;

const phone = () => window.innerWidth < NARROW;

/**
 * A canvas taller than wide, or a phone's (about as tall as wide once the toolbar and legend take their
 * share), gets the graph top to bottom: a row of four or five columns would be several screens wide.
 */
function runsDown(container: HTMLElement, large: boolean): boolean {
  return !large && (phone() || container.clientHeight > container.clientWidth);
}

/**
 * Node positions per view (namespace filter), kept for the life of the tab: a live update, a filter
 * round trip or a visit to another page never moves a node. Only "re-arrange" lays out again.
 */
const positionsByView = new Map<string, Map<string, Point>>();
/** Whether each view's kept positions run top to bottom: back on the page in a window of the other shape, it is laid out again. */
const downByView = new Map<string, boolean>();

const BADGE_TEXT: Record<string, { text: string; tone: string }> = {
  TrafficSplit: { text: 'SPLIT', tone: 'split' },
  RetryPolicy: { text: 'RETRY', tone: '' },
  RateLimitPolicy: { text: 'RATE LIMIT', tone: 'ratelimit' },
  CircuitBreakerPolicy: { text: 'BREAKER', tone: '' },
  TimeoutPolicy: { text: 'TIMEOUT', tone: '' },
  FaultPolicy: { text: 'FAULT', tone: 'ratelimit' },
  LoadBalancerPolicy: { text: 'LB', tone: '' },
  MirrorPolicy: { text: 'MIRROR', tone: '' },
  CachePolicy: { text: 'CACHE', tone: '' },
  AuthorizationPolicy: { text: 'AUTHZ', tone: '' },
  MutualTLSPolicy: { text: 'MTLS MODE', tone: '' },
  ScaleToZeroPolicy: { text: 'TO ZERO', tone: '' },
};

/** What the pointer rests on, in canvas pixels, with its figures spelled out. */
interface Hover {
  id: string;
  x: number;
  y: number;
  lines: string[];
}

interface BadgeItem {
  id: string;
  x: number;
  y: number;
  kinds: string[];
}

/** What the page exposes for the e2e specs and the scale benchmark (read-only use). */
export interface GraphProbe {
  cy: Core | null;
  /** performance.now() when the first graph data reached the canvas, when it was synced, when drawn. */
  firstDataMs: number | null;
  firstSyncMs: number | null;
  firstRenderMs: number | null;
  updates: { at: number; syncMs: number; renderMs: number | null; nodes: number; edges: number }[];
}

declare global {
  interface Window {
    __trellisGraph?: GraphProbe;
  }
}

function probe(): GraphProbe {
  window.__trellisGraph ??= { cy: null, firstDataMs: null, firstSyncMs: null, firstRenderMs: null, updates: [] };
  return window.__trellisGraph;
}

/**
 * Fits the view to the kept positions (plus a node's size), without asking cytoscape for every
 * element's bounding box — on a big graph that costs more than drawing it. Small meshes stay
 * readable even in a narrow canvas (pan to see the rest), except on a phone with a panel open
 * (`panel`): the canvas is then a strip above the panel, and shows the whole graph, however small.
 */
function fitTo(cy: Core, positions: Map<string, Point>, container: HTMLElement, large: boolean, panel = false): void {
  // A box's extent is its children's (plus its padding and name, within the margin below).
  const pts = cy.nodes('[!box]').map((n) => positions.get(n.id() as string) ?? (n.position() as Point));
  if (pts.length === 0) return;
  // A phone's canvas: a thin margin, and zoomed out as far as needed to show every service (the layout
  // runs top to bottom there, so that stays readable).
  const narrow = phone();
  const [nodeW, nodeH, pad] = large ? [92, 30, 20] : [156, 50, narrow ? 12 : 60];
  const x1 = Math.min(...pts.map((p) => p.x)) - nodeW / 2;
  const x2 = Math.max(...pts.map((p) => p.x)) + nodeW / 2;
  const y1 = Math.min(...pts.map((p) => p.y)) - nodeH / 2;
  const y2 = Math.max(...pts.map((p) => p.y)) + nodeH / 2 + 24;
  // On a phone the live status and counts (top right) span the canvas: the graph starts under them.
  const top = narrow ? 40 : 0;
  const w = Math.max(1, container.clientWidth - 2 * pad);
  const h = Math.max(1, container.clientHeight - top - 2 * pad);
  let zoom = Math.min(w / (x2 - x1), h / (y2 - y1), 1.25);
  if (!large && !(narrow && panel)) zoom = Math.max(narrow ? 0.4 : 0.75, zoom);
  zoom = Math.max(cy.minZoom(), zoom);
  cy.viewport({ zoom, pan: { x: container.clientWidth / 2 - ((x1 + x2) / 2) * zoom, y: top + (container.clientHeight - top) / 2 - ((y1 + y2) / 2) * zoom } });
}

const LABEL_ONLY = { includeNodes: false, includeEdges: false, includeLabels: true, includeMainLabels: true, includeSourceLabels: false, includeTargetLabels: true, includeOverlays: false };

/**
 * Top to bottom: each edge's label centred just above the service it points at, where the callees'
 * spacing keeps one label clear of the next (along the edge, diagonal ones would lean into each other).
 * A service with several labelled callers keeps them along their edges (they would sit on top of one another).
 */
function placeLabelsAbove(cy: Core): void {
  const callers = new Map<string, number>();
  cy.edges().forEach((e) => {
    if (e.data('label')) callers.set(e.target().id(), (callers.get(e.target().id()) ?? 0) + 1);
  });
  cy.batch(() => {
    cy.edges().forEach((e) => {
      const [s, t] = [e.source(), e.target()];
      const sp = s.position() as Point;
      const tp = t.position() as Point;
      const [rx, ry] = [sp.x - tp.x, sp.y - tp.y];
      if (!e.data('label') || (callers.get(t.id()) ?? 0) > 1 || t.isParent() || (rx === 0 && ry === 0)) {
        if (e.data('tmy') !== undefined) e.removeData('tmx tmy');
        return;
      }
      // Where the straight edge meets the service's box (its arrow's tip), relative to the service's middle.
      const [hw, hh] = [(t.outerWidth() as number) / 2, (t.outerHeight() as number) / 2];
      const k = Math.min(rx ? hw / Math.abs(rx) : Infinity, ry ? hh / Math.abs(ry) : Infinity);
      const height = e.boundingBox(LABEL_ONLY).h || 40;
      const tmx = Math.round(-rx * k);
      const tmy = Math.round(-hh - 12 - height / 2 - ry * k);
      if (e.data('tmx') !== tmx || e.data('tmy') !== tmy) e.data({ tmx, tmy });
    });
  });
}

const HEALTH_RANK: Record<string, number> = { failing: 3, degraded: 2, healthy: 1, idle: 0 };
/** Which edges deserve a label first: by health (worst first), then by width bucket (busiest first). */
function labelRank(e: cytoscape.SingularElementArgument): number {
  return (HEALTH_RANK[e.data('health') as string] ?? 0) * 100 + Number(e.data('wb') ?? 0);
}

/** Pans (without zooming) so the middle of `nodes` is the middle of the canvas. */
function centreOn(cy: Core, nodes: cytoscape.NodeCollection, container: HTMLElement): void {
  const pts = nodes.map((n) => n.position() as Point);
  if (pts.length === 0) return;
  const x = (Math.min(...pts.map((p) => p.x)) + Math.max(...pts.map((p) => p.x))) / 2;
  const y = (Math.min(...pts.map((p) => p.y)) + Math.max(...pts.map((p) => p.y))) / 2;
  const zoom = cy.zoom();
  cy.pan({ x: container.clientWidth / 2 - x * zoom, y: container.clientHeight / 2 - y * zoom });
}

export function GraphCanvas({
  graph,
  view,
  selection,
  onSelect,
  search,
  fitSignal,
  relayoutSignal,
  onFold,
}: {
  graph: ViewGraph | undefined;
  view: string;
  selection: Selection;
  onSelect: (s: Selection) => void;
  /** A double click on an unfolded namespace's box: fold it. */
  onFold: (namespace: string) => void;
  search: string;
  fitSignal: number;
  relayoutSignal: number;
}) {
  const containerRef = useRef<HTMLDivElement>(null);
  const overlayRef = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const fittedRef = useRef(false);
  /** Whether someone panned or zoomed the view since it was last fitted. */
  const userMovedRef = useRef(false);
  const viewRef = useRef(view);
  /** "re-arrange" presses and window reshapes so far (either lays the view out again). */
  const relayoutRef = useRef(`${relayoutSignal}:0`);
  const onSelectRef = useRef(onSelect);
  const onFoldRef = useRef(onFold);
  const [badges, setBadges] = useState<BadgeItem[]>([]);
  const badgeKeyRef = useRef('');
  const [locks, setLocks] = useState<LockItem[]>([]);
  const lockKeyRef = useRef('');
  const largeRef = useRef(false);
  /** Whether the graph was laid out top to bottom (and its labels drawn above their targets). */
  const downRef = useRef(false);
  /** Whether someone dragged a service: then a resize never lays the graph out again. */
  const draggedRef = useRef(false);
  /** Bumped when the window turns from wide to narrow or back: the graph is laid out again for its new shape. */
  const [reshaped, setReshaped] = useState(0);
  /** Edge labels only on the edges that matter most (big graphs, and dense ones such as folded namespaces). */
  const rankedRef = useRef(false);
  const labelsRef = useRef(new Map<string, string>());
  const searchedRef = useRef(false);
  const labelledRef = useRef(new Set<string>());
  const namedRef = useRef(new Set<string>());
  const selectionRef = useRef(selection);
  const labelTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const graphRef = useRef(graph);
  const [hover, setHover] = useState<Hover | null>(null);

  useEffect(() => {
    onSelectRef.current = onSelect;
    onFoldRef.current = onFold;
  }, [onSelect, onFold]);

  // The canvas shrinks when a side panel opens: cytoscape must know, or clicks land beside their targets.
  // The view follows: fitted again while nobody has panned or zoomed it, else kept centred on the same spot
  // (so opening a panel does not hide the right-hand side of the graph behind it).
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    let size = { w: container.clientWidth, h: container.clientHeight };
    const observer = new ResizeObserver(() => {
      const cy = cyRef.current;
      const next = { w: container.clientWidth, h: container.clientHeight };
      const [dw, dh] = [next.w - size.w, next.h - size.h];
      size = next;
      if (!cy) return;
      cy.resize();
      // A window made phone-narrow (or wide again): a fresh layout in the other direction, unless someone placed services by hand.
      if (fittedRef.current && !draggedRef.current && next.w > 0 && next.h > 0 && runsDown(container, largeRef.current) !== downRef.current) {
        setReshaped((n) => n + 1);
        return;
      }
      if (!fittedRef.current || (dw === 0 && dh === 0) || next.w === 0 || next.h === 0) return;
      const positions = positionsByView.get(viewRef.current);
      const sel = selectionRef.current ? cy.getElementById(selectionRef.current.id) : undefined;
      if (userMovedRef.current || !positions) cy.panBy({ x: dw / 2, y: dh / 2 });
      // A phone's panel opened or closed: the canvas above it is a strip, or the whole height again: fitted again.
      else if (phone()) fitTo(cy, positions, container, largeRef.current, !!sel?.nonempty());
      // A panel opened: the selected service with its callers and callees (or the edge's two ends) in the middle.
      else if (sel?.nonempty()) centreOn(cy, sel.isNode() ? sel.closedNeighborhood().nodes() : (sel as unknown as cytoscape.EdgeSingular).connectedNodes(), container);
      else fitTo(cy, positions, container, largeRef.current);
    });
    observer.observe(container);
    return () => observer.disconnect();
  }, []);

  useEffect(
    () => () => {
      cyRef.current?.destroy();
      cyRef.current = null;
      if (typeof window !== 'undefined' && window.__trellisGraph) window.__trellisGraph.cy = null;
    },
    [],
  );

  /** Each edge's lock beside its label; big graphs lock only the edges they label. */
  const refreshLocks = () => {
    const cy = cyRef.current;
    if (!cy) return;
    const items = lockPositions(cy, rankedRef.current ? labelledRef.current : undefined);
    const key = JSON.stringify(items);
    if (key !== lockKeyRef.current) {
      lockKeyRef.current = key;
      setLocks(items);
    }
  };

  const refreshBadges = () => {
    const cy = cyRef.current;
    if (!cy) return;
    if (downRef.current) placeLabelsAbove(cy);
    refreshLocks();
    const items: BadgeItem[] = [];
    cy.nodes().forEach((n) => {
      const kinds = n.scratch('_policies') as string[] | undefined;
      if (!kinds || kinds.length === 0) return;
      const p = n.position();
      items.push({ id: n.id(), x: p.x, y: p.y + n.height() / 2 + 5, kinds });
    });
    const key = JSON.stringify(items);
    if (key !== badgeKeyRef.current) {
      badgeKeyRef.current = key;
      setBadges(items);
    }
  };

  /**
   * Big graphs: measuring and drawing 2,000 changing labels every second would freeze the page, so
   * labels go on the selected edge, the selected service's edges, and (zoomed in) the edges in view.
   * Dense graphs (ten folded namespaces, a hundred edges between them) too: a label on every edge is a
   * pile nobody can read, so the failing and busiest edges get theirs, about one and a half per node.
   */
  const refreshLabels = () => {
    const cy = cyRef.current;
    if (!cy || !rankedRef.current) return;
    const large = largeRef.current;
    const budget = large ? MAX_LABELLED : Math.max(8, Math.round(cy.nodes('[!box]').length * 1.5));
    const wanted = new Set<string>();
    const sel = selectionRef.current;
    if (sel?.type === 'edge') wanted.add(sel.id);
    if (sel?.type === 'node') cy.getElementById(sel.id).connectedEdges().forEach((e) => void wanted.add(e.id()));
    const named = new Set<string>();
    if (cy.zoom() >= LABEL_ZOOM) {
      const ext = cy.extent();
      const inView = (p: Point) => p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2;
      if (large) for (const n of cy.nodes()) if (named.size < MAX_NAMED && inView(n.position() as Point)) named.add(n.id());
      // Failing edges first, then the busiest: when not every edge in view can carry a label, those do.
      const candidates = cy.edges().filter((e) => inView(e.midpoint() as Point)).toArray();
      candidates.sort((a, b) => labelRank(b) - labelRank(a));
      for (const e of candidates) {
        if (wanted.size >= budget) break;
        wanted.add(e.id());
      }
    }
    const before = labelledRef.current;
    const namedBefore = namedRef.current;
    cy.batch(() => {
      for (const id of namedBefore) if (!named.has(id)) cy.getElementById(id).removeClass('named');
      for (const id of named) if (!namedBefore.has(id)) cy.getElementById(id).addClass('named');
      for (const id of before) if (!wanted.has(id)) cy.getElementById(id).data('label', '').removeClass('labelled');
      for (const id of wanted) {
        const text = labelsRef.current.get(id) ?? '';
        const el = cy.getElementById(id);
        if (el.empty()) continue;
        if (el.data('label') !== text) el.data('label', text);
        if (!before.has(id)) el.addClass('labelled');
      }
    });
    labelledRef.current = wanted;
    namedRef.current = named;
    refreshLocks();
  };

  const applyViewport = () => {
    const cy = cyRef.current;
    const overlay = overlayRef.current;
    if (!cy || !overlay) return;
    const pan = cy.pan();
    const zoom = cy.zoom();
    overlay.style.transform = `translate(${pan.x}px, ${pan.y}px) scale(${zoom})`;
    overlay.style.display = zoom < 0.45 ? 'none' : '';
    if (rankedRef.current) {
      clearTimeout(labelTimer.current);
      labelTimer.current = setTimeout(refreshLabels, 120);
    }
  };

  /** The tooltip for a node or an edge, from the newest graph data. */
  const hoverOf = (el: cytoscape.SingularElementReturnValue): Hover | null => {
    const g = graphRef.current;
    const id = el.id() as string;
    if (el.isNode()) {
      const n = g?.nodes.find((x) => x.id === id);
      const p = el.renderedPosition();
      return n ? { id, x: p.x, y: p.y + (el.renderedHeight() as number) / 2 + 8, lines: nodeTooltip(n) } : null;
    }
    const e = g?.edges.find((x) => x.id === id);
    const p = (el as unknown as cytoscape.EdgeSingular).renderedMidpoint();
    return e ? { id, x: p.x, y: p.y + 14, lines: edgeTooltip(e) } : null;
  };

  // Live data: add what is new, update what changed, remove what is gone; never lay out again.
  useEffect(() => {
    graphRef.current = graph;
    const container = containerRef.current;
    if (!graph || !container) return;
    const t0 = performance.now();
    let cy = cyRef.current;
    const isLarge = graph.nodes.length > LARGE_GRAPH.nodes || graph.edges.length > LARGE_GRAPH.edges;
    // A new view (a namespace unfolded, a focus left) may cross the size where drawing changes: start afresh.
    if (cy && viewRef.current !== view && isLarge !== largeRef.current) {
      cy.destroy();
      cy = null;
      cyRef.current = null;
      labelledRef.current = new Set();
      namedRef.current = new Set();
    }
    if (!cy) {
      const large = isLarge;
      largeRef.current = large;
      downRef.current = runsDown(container, large);
      const keptDown = downByView.get(view);
      if (keptDown !== undefined && keptDown !== downRef.current) positionsByView.delete(view);
      cy = cytoscape({
        container,
        style: graphStyle(large, downRef.current),
        minZoom: 0.05,
        maxZoom: 2.5,
        boxSelectionEnabled: false,
        autounselectify: true,
        textureOnViewport: large,
        hideEdgesOnViewport: large,
        pixelRatio: large ? 1 : 'auto',
      });
      cyRef.current = cy;
      probe().cy = cy;
      // A namespace's box is background to a click (it clears the selection); a double click inside it folds it.
      bindTaps(cy, { onSelect: (s) => onSelectRef.current(s), onFold: (ns) => onFoldRef.current(ns) });
      cy.on('viewport', applyViewport);
      // Hover: a tooltip with the element's figures in words (live updates refresh it while it shows).
      cy.on('mouseover', 'node, edge', (e: EventObject) => setHover(hoverOf(e.target as cytoscape.SingularElementReturnValue)));
      cy.on('mouseout', 'node, edge', () => setHover(null));
      cy.on('viewport drag', () => setHover(null));
      cy.on('dragpan scrollzoom pinchzoom', () => {
        userMovedRef.current = true;
      });
      cy.on('dragfree', 'node', (e: EventObject) => {
        draggedRef.current = true;
        const p = e.target.position() as Point;
        positionsByView.get(viewRef.current)?.set(e.target.id() as string, { x: p.x, y: p.y });
        refreshBadges();
      });
      cy.on('drag', 'node', () => refreshBadges());
    }

    const relayoutKey = `${relayoutSignal}:${reshaped}`;
    if (viewRef.current !== view || relayoutRef.current !== relayoutKey) {
      if (relayoutRef.current !== relayoutKey) {
        positionsByView.delete(view);
        draggedRef.current = false;
      }
      viewRef.current = view;
      relayoutRef.current = relayoutKey;
      cy.elements().remove();
      fittedRef.current = false;
    }

    const large = largeRef.current;
    rankedRef.current = large || (graph.edges.length > 24 && graph.edges.length > 3 * graph.nodes.length);
    const ranked = rankedRef.current;
    let positions = positionsByView.get(view);
    if (!positions) positionsByView.set(view, (positions = new Map()));
    // Namespace boxes take their place and size from the services inside them (cytoscape compound nodes).
    const unplaced = graph.nodes.filter((n) => n.box === undefined && !positions.has(n.id));
    if (unplaced.length > 0) {
      // A fresh layout follows the canvas' shape as it is now (a phone turned, a window made narrow).
      if (positions.size === 0 && runsDown(container, large) !== downRef.current) {
        downRef.current = !downRef.current;
        cy.style(graphStyle(large, downRef.current));
      }
      const down = downRef.current;
      if (positions.size === 0) downByView.set(view, down);
      // Left to right, columns far enough apart for a label (EDGE_LABEL_WIDTH, and its lock) between two
      // services; top to bottom, rows far enough apart for a label and a row of policy badges.
      const gaps = large
        ? { columnGap: 200, rowGap: 44, maxPerColumn: 40 }
        : down
          ? { columnGap: 160, rowGap: 176, maxPerColumn: 4, direction: 'down' as const }
          : { columnGap: 360, rowGap: 100, maxPerColumn: 12 };
      // A service drawn with its versions inside is placed by them: its calls out count as its first version's.
      const firstVersion = new Map<string, string>();
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      for (const n of graph.nodes) if (n.parent && !boxOf(n.parent) && !firstVersion.has(n.parent)) firstVersion.set(n.parent, n.id);
      // With boxes, each namespace is a band of its own, so no box covers another's services.
      const groupOf = new Map<string, string>();
      if (graph.nodes.some((n) => n.box !== undefined)) {
        for (const n of graph.nodes) {
          const owner = n.parent && !boxOf(n.parent) ? byId.get(n.parent) : n;
          const ns = owner?.parent ? boxOf(owner.parent) : folded(n.id);
          if (ns !== null && ns !== undefined) groupOf.set(n.id, ns);
        }
      }
      // Only folded namespaces (a big mesh as it opens): they all call one another, so round an ellipse,
      // callers from outside in the middle, rather than layers strung into one long chain.
      const foldedOnly = graph.nodes.filter((n) => n.members !== undefined);
      const computed =
        foldedOnly.length >= 3 && graph.nodes.every((n) => n.external || n.members !== undefined)
          ? ellipseLayout(
              foldedOnly.map((n) => n.id),
              graph.nodes.filter((n) => n.external).map((n) => n.id),
              large ? 220 : 270,
            )
          : layeredLayout(
              graph.nodes.filter((n) => n.box === undefined && !firstVersion.has(n.id)).map((n) => n.id),
              graph.edges.map((e) => ({ source: firstVersion.get(e.source) ?? e.source, destination: e.destination })),
              groupOf.size > 0 ? { ...gaps, groupOf } : gaps,
            );
      for (const [parent, child] of firstVersion) {
        const p = computed.get(child);
        if (p) computed.set(parent, p);
      }
      const first = positions.size === 0;
      for (const n of unplaced) {
        const wanted = computed.get(n.id) ?? { x: 0, y: 0 };
        positions.set(n.id, first ? wanted : down ? freeSpot(wanted, positions.values(), gaps.rowGap * 0.8, gaps.columnGap * 0.6) : freeSpot(wanted, positions.values(), gaps.columnGap * 0.6, gaps.rowGap * 0.8));
      }
    }

    const nodeIds = new Set<string>();
    const edgeIds = new Set<string>();
    cy.batch(() => {
      const added: cytoscape.ElementDefinition[] = [];
      for (const n of graph.nodes) {
        nodeIds.add(n.id);
        const data = nodeData(n);
        const el = cy.getElementById(n.id);
        if (el.empty()) added.push(toElement('nodes', data, n.box === undefined ? positions.get(n.id) : undefined));
        else if (!sameData(el.data() as Record<string, unknown>, data)) el.data(data);
      }
      if (added.length) cy.add(added);
      for (const n of graph.nodes) cy.getElementById(n.id).scratch('_policies', n.policies.map((p) => p.kind));
      const addedEdges: cytoscape.ElementDefinition[] = [];
      for (const e of graph.edges) {
        if (!nodeIds.has(e.source) || !nodeIds.has(e.destination)) continue;
        edgeIds.add(e.id);
        const label = edgeLabel(e);
        labelsRef.current.set(e.id, label);
        const data = edgeData(e, !ranked || labelledRef.current.has(e.id) ? label : '');
        const el = cy.getElementById(e.id);
        if (el.empty()) addedEdges.push(toElement('edges', data));
        else if (!sameData(el.data() as Record<string, unknown>, data)) el.data(data);
      }
      if (addedEdges.length) cy.add(addedEdges);
      cy.edges().forEach((e) => {
        if (!edgeIds.has(e.id())) {
          labelsRef.current.delete(e.id());
          e.remove();
        }
      });
      cy.nodes().forEach((n) => {
        if (!nodeIds.has(n.id())) n.remove();
      });
    });
    const syncMs = performance.now() - t0;

    const stats = probe();
    if (!fittedRef.current && graph.nodes.length > 0) {
      fittedRef.current = true;
      userMovedRef.current = false;
      stats.firstDataMs ??= t0;
      stats.firstSyncMs ??= performance.now();
      fitTo(cy, positions, container, large, !!selectionRef.current);
      cy.one('render', () => {
        stats.firstRenderMs ??= performance.now();
        performance.mark('trellis:graph-first-render');
      });
    } else {
      const entry = { at: performance.now(), syncMs, renderMs: null as number | null, nodes: graph.nodes.length, edges: graph.edges.length };
      stats.updates.push(entry);
      if (stats.updates.length > 50) stats.updates.shift();
      cy.one('render', () => {
        entry.renderMs = performance.now() - t0;
      });
    }
    applyViewport();
    refreshBadges();
    setHover((h) => {
      const el = h ? cy.getElementById(h.id) : undefined;
      return el?.nonempty() ? hoverOf(el) : null;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the helpers read refs only
  }, [graph, view, relayoutSignal, reshaped]);

  // Before the browser reports the resize a new panel causes, so the resize handler sees the new selection.
  useLayoutEffect(() => {
    selectionRef.current = selection;
  }, [selection]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    selectionRef.current = selection;
    cy.batch(() => {
      cy.elements('.selected').removeClass('selected');
      if (selection) cy.getElementById(selection.id).addClass('selected');
    });
    refreshLabels();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the helpers read refs and set overlay state only
  }, [selection, graph]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const q = search.trim().toLowerCase();
    // Live updates re-run this; with no search (before or now) there is nothing to restyle.
    if (!q && !searchedRef.current) return;
    searchedRef.current = !!q;
    cy.batch(() => {
      cy.elements().removeClass('faded match');
      if (!q) return;
      // Not the namespace boxes: a box's opacity would fade every service inside it.
      const services = cy.nodes('[!box]');
      const matches = services.filter((n) => (n.id() as string).toLowerCase().includes(q));
      matches.addClass('match');
      services.not(matches).addClass('faded');
      cy.edges().filter((e) => !e.source().hasClass('match') && !e.target().hasClass('match')).addClass('faded');
    });
  }, [search, graph]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || fitSignal === 0) return;
    // A view someone asked for: later resizes keep it rather than fitting the whole graph again.
    userMovedRef.current = true;
    const target = selection ? cy.getElementById(selection.id) : cy.elements();
    cy.animate({ fit: { eles: target.nonempty() ? (selection?.type === 'edge' ? target.connectedNodes() : target.closedNeighborhood()) : cy.elements(), padding: 60 } }, { duration: 250 });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a new fit request moves the view
  }, [fitSignal]);

  return (
    <>
      <div ref={containerRef} className="graph-canvas" data-testid="graph-canvas" aria-label="Service graph" role="img" />
      {hover ? (
        <div className="graph-tooltip" role="tooltip" data-testid="graph-tooltip" style={{ left: hover.x, top: hover.y }}>
          {hover.lines.map((line, i) => (
            <div key={i} className={i === 0 ? 'title' : undefined}>
              {line}
            </div>
          ))}
        </div>
      ) : null}
      <div ref={overlayRef} className="graph-overlay">
        <EdgeLocks locks={locks} onSelect={(id) => onSelectRef.current({ type: 'edge', id })} />
        {badges.map((b) => (
          <div key={b.id} className="node-badges" style={{ left: b.x, top: b.y }} data-testid={`badges-${b.id}`} aria-hidden>
            {b.kinds.map((k, i) => {
              const badge = BADGE_TEXT[k] ?? { text: k, tone: '' };
              return (
                <span key={`${k}-${i}`} className={`node-badge ${badge.tone}`}>
                  {badge.text}
                </span>
              );
            })}
          </div>
        ))}
      </div>
    </>
  );
}
