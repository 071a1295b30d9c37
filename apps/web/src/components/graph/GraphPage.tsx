'use client';

import { useQuery } from '@tanstack/react-query';
import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useConnectivity } from '@/lib/connectivity';
import { fmtAgo, fmtRps } from '@/lib/format';
import { folded, graphView, viewKey, type ViewOptions } from '@/lib/graph-view';
import { useLiveGraph } from '@/lib/live-graph';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../icons';
import { Button, Empty, ErrorState, Loading, Segmented } from '../ui';
import { EdgePanel } from './EdgePanel';
import type { Selection } from '@/lib/graph-view';
import { GraphCanvas } from './GraphCanvas';
import { LARGE_GRAPH } from './elements';
import { GraphTables } from './GraphTables';
import { Legend } from './Legend';
import { NodePanel } from './NodePanel';

const GRAPH_WINDOWS = [
  { value: 10, label: '10s' },
  { value: 30, label: '30s' },
  { value: 60, label: '1m' },
  { value: 300, label: '5m' },
] as const;

const EDGE_FILTERS = [
  { value: 'all', label: 'All edges' },
  { value: 'traffic', label: 'With traffic' },
  { value: 'problems', label: 'Problems' },
] as const;

function parseSelection(value: string | null): Selection {
  if (!value) return null;
  const [type, ...rest] = value.split(':');
  const id = rest.join(':');
  return (type === 'node' || type === 'edge') && id ? { type, id } : null;
}

/** The live service graph with its filters, search, legend and side panels. State lives in the URL, so views can be shared. */
export function GraphPage({ initialGraph }: { initialGraph?: Promise<string | null> }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const urlParams = useSearchParams();
  // The view's state is the URL's, held here too: Next.js does not always pass a history.replaceState on to
  // useSearchParams (a second change soon after the first was lost), so the page renders from this copy and
  // writes the URL for sharing; a navigation (back, a link) replaces the copy.
  const [params, setParams] = useState(() => new URLSearchParams(urlParams.toString()));
  // What this page wrote: Next.js may report any of them late, which must not undo a newer change.
  const written = useRef(new Set([urlParams.toString()]));
  useEffect(() => {
    const text = urlParams.toString();
    if (!written.current.has(text)) {
      written.current = new Set([text]);
      setParams(new URLSearchParams(text));
    }
  }, [urlParams]);
  const namespace = params.get('ns') ?? '';
  const view = params.get('view') === 'table' ? 'table' : 'graph';
  const windowSeconds = Number(params.get('window') ?? 10) || 10;
  const selection = parseSelection(params.get('sel'));
  // What part of the graph is drawn (lib/graph-view.ts): folded namespaces, a focus, an edge filter.
  const foldParam = params.get('fold');
  const focus = params.get('focus');
  const hops = params.get('hops') === '2' ? 2 : 1;
  const edgeFilter = EDGE_FILTERS.find((f) => f.value === params.get('edges'))?.value ?? 'all';
  const versions = params.get('versions') === '1';
  const [search, setSearch] = useState('');
  const [searchOpen, setSearchOpen] = useState(false);
  const [activeResult, setActiveResult] = useState(0);
  const [fitSignal, setFitSignal] = useState(0);
  const [relayoutSignal, setRelayoutSignal] = useState(0);
  const [, tick] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);

  // The newest params, for changes made before the next render (two in one event, say).
  const current = useRef(params);
  current.current = params;
  const setParam = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(current.current.toString());
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      current.current = next;
      written.current.add(qs);
      setParams(next);
      // The native history API: no server round trip (which would render the page on the server and
      // fetch the whole graph again).
      window.history.replaceState(null, '', qs ? `${pathname}?${qs}` : pathname);
    },
    [pathname],
  );
  const onSelect = useCallback((s: Selection) => setParam({ sel: s ? `${s.type}:${s.id}` : null }), [setParam]);

  const { reachable } = useConnectivity();
  const { graph, live, error, isLoading, refetch } = useLiveGraph(namespace || undefined, windowSeconds, initialGraph);
  // The namespace menu's list waits for the graph: asked at once, it is one more request the control plane
  // answers before the graph's (on a big mesh, the page's first drawing waits for it).
  const services = useQuery(trpc.services.list.queryOptions(undefined, { refetchInterval: 10_000, enabled: !isLoading }));
  const namespaces = useMemo(() => [...new Set((services.data ?? []).map((s) => s.namespace))].sort(), [services.data]);

  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);

  // "/" focuses the search, as in most consoles.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(target?.tagName ?? '')) {
        e.preventDefault();
        searchRef.current?.focus();
      }
      if (e.key === 'Escape' && selection && !['INPUT', 'TEXTAREA'].includes(target?.tagName ?? '')) onSelect(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selection, onSelect]);

  const results = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (!q || !graph) return [];
    return graph.nodes.filter((n) => n.id.toLowerCase().includes(q)).slice(0, 12);
  }, [search, graph]);

  // Namespaces in the graph; at scale (more than one, and a big graph) they start folded.
  const graphNamespaces = useMemo(() => [...new Set((graph?.nodes ?? []).filter((n) => !n.external).map((n) => n.namespace))].sort(), [graph]);
  const bigGraph = !!graph && (graph.nodes.length > LARGE_GRAPH.nodes || graph.edges.length > LARGE_GRAPH.edges);
  const collapsed = useMemo(
    () => new Set(foldParam === null ? (bigGraph && graphNamespaces.length > 1 && !focus ? graphNamespaces : []) : foldParam.split(',').filter((ns) => graphNamespaces.includes(ns))),
    [foldParam, bigGraph, graphNamespaces, focus],
  );
  // More than one namespace: the unfolded ones are drawn as boxes around their services.
  const boxes = graphNamespaces.length > 1;
  const viewOptions: ViewOptions = useMemo(() => ({ collapsed, focus, hops, edges: edgeFilter, versions, boxes }), [collapsed, focus, hops, edgeFilter, versions, boxes]);
  const shown = useMemo(() => (graph ? graphView(graph, viewOptions) : undefined), [graph, viewOptions]);
  const setFolded = (next: Iterable<string>) => setParam({ fold: [...next].join(',') || 'none' });
  const onFold = useCallback((ns: string) => setParam({ fold: [...collapsed, ns].join(','), sel: null }), [setParam, collapsed]);
  // A click on a folded namespace unfolds it; anything else selects.
  const onCanvasSelect = useCallback(
    (s: Selection) => {
      const ns = s ? folded(s.id) : null;
      // A version drawn inside its service opens the service's panel (an edge into it, the edge's).
      if (ns === null) return onSelect(s ? { type: s.type, id: s.id.replace(/@[^@>]*$/, '') } : null);
      setParam({ fold: [...collapsed].filter((c) => c !== ns).join(',') || 'none' });
    },
    [onSelect, setParam, collapsed],
  );
  const focusOn = (id: string | null) => setParam({ focus: id, hops: null });

  // Services and folded namespaces; the boxes around unfolded namespaces are not counted.
  const drawnNodes = shown?.nodes.filter((n) => n.box === undefined).length ?? 0;
  const selectedNode = selection?.type === 'node' ? graph?.nodes.find((n) => n.id === selection.id) : undefined;
  const selectedEdge = selection?.type === 'edge' ? graph?.edges.find((e) => e.id === selection.id) : undefined;
  // Traffic into the mesh: edges from callers nobody calls (outside callers, or a meshed load generator or gateway).
  const called = new Set(graph?.edges.map((e) => e.destination));
  const totalRps = graph?.edges.filter((e) => !called.has(e.source)).reduce((s, e) => s + e.stats.rps, 0) ?? 0;

  const pick = (id: string) => {
    // A service inside a folded namespace, or outside the focus, is brought into view first.
    const ns = graph?.nodes.find((n) => n.id === id)?.namespace;
    const changes: Record<string, string | null> = { sel: `node:${id}` };
    if (ns && collapsed.has(ns)) changes.fold = [...collapsed].filter((c) => c !== ns).join(',') || 'none';
    if (focus && !shown?.nodes.some((n) => n.id === id)) changes.focus = id;
    setParam(changes);
    setSearchOpen(false);
    setFitSignal((n) => n + 1);
  };

  return (
    <div className="graph-page" data-testid="graph-page">
      <div className="graph-toolbar">
        <h1>Service graph</h1>
        <select className="select input-sm" aria-label="Namespace" value={namespace} onChange={(e) => setParam({ ns: e.target.value, sel: null })} data-testid="namespace-filter">
          <option value="">All namespaces</option>
          {namespaces.map((ns) => (
            <option key={ns} value={ns}>
              {ns}
            </option>
          ))}
        </select>
        <div className="search" style={{ position: 'relative' }}>
          <Icon name="search" size={14} />
          <input
            ref={searchRef}
            className="input input-sm"
            style={{ width: 200 }}
            placeholder="Search services  ( / )"
            aria-label="Search services"
            value={search}
            data-testid="graph-search"
            onChange={(e) => {
              setSearch(e.target.value);
              setSearchOpen(true);
              setActiveResult(0);
            }}
            onFocus={() => setSearchOpen(true)}
            onBlur={() => setTimeout(() => setSearchOpen(false), 150)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') setActiveResult((i) => Math.min(i + 1, results.length - 1));
              else if (e.key === 'ArrowUp') setActiveResult((i) => Math.max(i - 1, 0));
              else if (e.key === 'Enter' && results[activeResult]) pick(results[activeResult].id);
              else if (e.key === 'Escape') {
                setSearch('');
                setSearchOpen(false);
              }
            }}
          />
          {searchOpen && results.length > 0 ? (
            <div className="search-results" role="listbox" aria-label="Matching services">
              {results.map((n, i) => (
                <button key={n.id} type="button" role="option" aria-selected={i === activeResult} className={i === activeResult ? 'active' : ''} onMouseDown={(e) => e.preventDefault()} onClick={() => pick(n.id)}>
                  <strong>{n.name}</strong> <span className="muted">{n.namespace}</span>
                </button>
              ))}
            </div>
          ) : null}
        </div>
        <Segmented label="Rates over" options={GRAPH_WINDOWS} value={windowSeconds} onChange={(w) => setParam({ window: w === 10 ? null : String(w) })} testId="graph-window" />
        <Segmented label="Edges shown" options={EDGE_FILTERS} value={edgeFilter} onChange={(v) => setParam({ edges: v === 'all' ? null : v })} testId="graph-edges" />
        <label className="check-inline" title="Draw each version of a service with several (a canary) as its own node, with the split measured on its edges">
          <input type="checkbox" checked={versions} onChange={(e) => setParam({ versions: e.target.checked ? '1' : null })} data-testid="graph-versions" /> Versions
        </label>
        {graphNamespaces.length > 1 ? (
          <Button size="sm" onClick={() => setFolded(collapsed.size > 0 ? [] : graphNamespaces)} data-testid="graph-fold-all" title="Draw each namespace as one box (a click on a box unfolds it)">
            {collapsed.size > 0 ? 'Unfold namespaces' : 'Fold namespaces'}
          </Button>
        ) : null}
        {focus ? (
          <span className="focus-chip" data-testid="graph-focus">
            Around <strong>{focus.split('.')[0]}</strong>
            <Segmented
              label="Hops around the focused service"
              options={[
                { value: 1, label: '1 hop' },
                { value: 2, label: '2 hops' },
              ]}
              value={hops}
              onChange={(h) => setParam({ hops: h === 1 ? null : '2' })}
              testId="graph-hops"
            />
            <button type="button" className="icon-btn" aria-label="Show the whole graph" onClick={() => focusOn(null)} data-testid="graph-focus-clear">
              ×
            </button>
          </span>
        ) : selection?.type === 'node' && !folded(selection.id) ? (
          <Button size="sm" onClick={() => focusOn(selection.id)} data-testid="graph-focus-selected" title="Show only this service and what is one or two calls away">
            Focus on {selection.id.split('.')[0]}
          </Button>
        ) : null}
        <span style={{ flex: 1 }} />
        <Segmented
          label="View"
          options={[
            { value: 'graph', label: 'Graph' },
            { value: 'table', label: 'Table' },
          ]}
          value={view}
          onChange={(v) => setParam({ view: v === 'graph' ? null : v })}
          testId="graph-view"
        />
      </div>
      <div className="graph-body">
        {view === 'graph' ? (
          <div className="graph-canvas-wrap">
            {/* The legend is a strip under the drawing, not over it: no fit or pan can put a node under it. */}
            <div className="graph-stage">
              <GraphCanvas graph={shown} view={viewKey(namespace, viewOptions)} selection={selection} onSelect={onCanvasSelect} search={search} fitSignal={fitSignal} relayoutSignal={relayoutSignal} onFold={onFold} />
              <div className="graph-status">
                <span className="live-pill" data-testid="live-indicator" title={graph ? `generated ${graph.generatedAt}` : undefined}>
                  <span className={`dot ${live ? 'dot-healthy' : graph ? 'dot-degraded' : 'dot-idle'}`} />
                  {live ? 'Live' : graph ? 'Polling' : 'Waiting'}
                  {graph ? ` · ${fmtAgo(graph.generatedAt)}` : ''}
                </span>
                {graph ? (
                  <span className="live-pill" data-testid="graph-summary">
                    {graph.nodes.filter((n) => !n.external).length} services · {graph.edges.length} edges · {fmtRps(totalRps)} rps in
                    {drawnNodes !== graph.nodes.length || (shown && shown.edges.length !== graph.edges.length) ? ` · drawn: ${drawnNodes} nodes, ${shown?.edges.length ?? 0} edges` : ''}
                  </span>
                ) : null}
              </div>
              <div className="graph-controls">
                <Button size="sm" onClick={() => setFitSignal((n) => n + 1)} title="Fit to screen" aria-label="Fit to screen" data-testid="graph-fit">
                  <Icon name="fit" size={14} />
                </Button>
                <Button size="sm" onClick={() => setRelayoutSignal((n) => n + 1)} title="Re-arrange the graph" aria-label="Re-arrange the graph" data-testid="graph-relayout">
                  <Icon name="layout" size={14} />
                </Button>
              </div>
              {isLoading ? (
                <div className="graph-empty">
                  <Loading label="Loading the service graph…" />
                </div>
              ) : error && !graph ? (
                <div className="graph-empty">
                  {reachable ? <ErrorState title="Could not load the service graph" error={error} onRetry={refetch} /> : <Loading label="Waiting for the control plane…" />}
                </div>
              ) : graph && graph.nodes.length === 0 ? (
                <div className="graph-empty">
                  <Empty title={namespace ? `No services in namespace “${namespace}”` : 'No services yet'} testId="graph-empty">
                    Services appear when their proxies connect to the control plane or when a Service resource is applied (<span className="mono">trellis apply -f service.yaml</span>).
                  </Empty>
                </div>
              ) : graph && graph.edges.length === 0 ? (
                <div className="graph-empty" style={{ alignItems: 'flex-start', paddingTop: 16 }}>
                  <div className="banner-info" style={{ padding: '6px 12px' }} data-testid="graph-no-traffic">
                    No traffic in the last {windowSeconds} s — edges appear as soon as requests flow.
                  </div>
                </div>
              ) : null}
            </div>
            {graph && graph.nodes.length > 0 ? <Legend /> : null}
          </div>
        ) : graph ? (
          <div style={{ flex: 1, overflow: 'auto' }}>
            <GraphTables nodes={graph.nodes} edges={graph.edges} selection={selection} onSelect={onSelect} search={search} />
          </div>
        ) : (
          <div style={{ flex: 1 }}>{error ? <ErrorState error={error} onRetry={refetch} /> : <Loading />}</div>
        )}
        {selection?.type === 'node' ? <NodePanel key={selection.id} nodeId={selection.id} node={selectedNode} graph={graph} onClose={() => onSelect(null)} /> : null}
        {selection?.type === 'edge' ? <EdgePanel key={selection.id} edgeId={selection.id} edge={selectedEdge} nodes={graph?.nodes ?? []} onClose={() => onSelect(null)} /> : null}
      </div>
    </div>
  );
}
