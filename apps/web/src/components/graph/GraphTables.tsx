'use client';

import { useState } from 'react';
import { fmtMs, fmtPct, fmtRps, serviceName } from '@/lib/format';
import { healthOf } from '@/lib/health';
import { edgeTls } from '@/lib/security';
import type { GraphEdge, GraphNode } from '@/lib/trpc';
import { TlsBadge } from '../security/TlsLock';
import { Badge, HealthDot } from '../ui';
import type { Selection } from '@/lib/graph-view';

type EdgeSort = 'edge' | 'rps' | 'success' | 'actual' | 'p99' | 'retries' | 'limited';

const rowKeys = (fn: () => void) => ({
  tabIndex: 0,
  onClick: fn,
  onKeyDown: (e: React.KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fn();
    }
  },
});

/** The graph as tables: every edge and service, sortable, each row opens the same side panel (keyboard friendly). */
export function GraphTables({ nodes, edges, selection, onSelect, search }: { nodes: GraphNode[]; edges: GraphEdge[]; selection: Selection; onSelect: (s: Selection) => void; search: string }) {
  const [sort, setSort] = useState<EdgeSort>('rps');
  const q = search.trim().toLowerCase();
  const shownEdges = edges
    .filter((e) => !q || e.id.toLowerCase().includes(q))
    .sort((a, b) => {
      switch (sort) {
        case 'edge':
          return a.id.localeCompare(b.id);
        case 'success':
          return (a.stats.successRate ?? 1) - (b.stats.successRate ?? 1);
        case 'actual':
          return (a.stats.actualSuccessRate ?? 1) - (b.stats.actualSuccessRate ?? 1);
        case 'p99':
          return (b.stats.p99Ms ?? 0) - (a.stats.p99Ms ?? 0);
        case 'retries':
          return b.stats.retriesPerSecond - a.stats.retriesPerSecond;
        case 'limited':
          return b.stats.rateLimitedPerSecond - a.stats.rateLimitedPerSecond;
        default:
          return b.stats.rps - a.stats.rps;
      }
    });
  // Services only, as the graph's header counts them: callers from outside the mesh are on the edges above.
  const shownNodes = nodes.filter((n) => !n.external && (!q || n.id.toLowerCase().includes(q)));
  const th = (key: EdgeSort, label: string, num = true) => (
    <th className={`sortable ${num ? 'num' : ''}`} aria-sort={sort === key ? 'descending' : 'none'}>
      <button type="button" className="th-sort" onClick={() => setSort(key)}>
        {label}
        {sort === key ? ' ↓' : ''}
      </button>
    </th>
  );
  return (
    <div className="page" style={{ maxWidth: 'none', paddingTop: 16 }}>
      <div className="card">
        <header className="card-header">
          <h2 className="card-title">Edges · {shownEdges.length}</h2>
        </header>
        <div className="table-wrap" style={{ maxHeight: '48vh' }}>
          <table className="table" data-testid="edges-table">
            <thead>
              <tr>
                {th('edge', 'Source → destination', false)}
                {th('rps', 'Requests/s')}
                {th('success', 'Success')}
                {th('actual', 'Before retries')}
                {th('p99', 'p99')}
                {th('retries', 'Retries/s')}
                {th('limited', 'Rate-limited/s')}
                <th>Transport</th>
                <th>Versions</th>
              </tr>
            </thead>
            <tbody>
              {shownEdges.map((e) => (
                <tr key={e.id} className={`clickable ${selection?.id === e.id ? 'selected' : ''}`} {...rowKeys(() => onSelect({ type: 'edge', id: e.id }))} data-testid="edge-row" data-edge={e.id}>
                  <td>
                    <HealthDot health={healthOf(e.stats)} /> <strong>{serviceName(e.source)}</strong> <span className="muted">→</span> <strong>{serviceName(e.destination)}</strong>
                  </td>
                  <td className="num">{fmtRps(e.stats.rps)}</td>
                  <td className={`num tone-${healthOf(e.stats)}`} data-testid="edge-row-success">{fmtPct(e.stats.successRate)}</td>
                  <td className="num" data-testid="edge-row-actual">{fmtPct(e.stats.actualSuccessRate)}</td>
                  <td className="num">{fmtMs(e.stats.p99Ms)}</td>
                  <td className="num">{fmtRps(e.stats.retriesPerSecond)}</td>
                  <td className="num">{fmtRps(e.stats.rateLimitedPerSecond)}</td>
                  <td>
                    <TlsBadge tls={edgeTls(e.stats.mtlsShare)} share={e.stats.mtlsShare} testId="edge-row-tls" />
                  </td>
                  <td>{e.versions.length > 1 ? e.versions.map((v) => `${v.version} ${Math.round(v.share * 100)}%`).join(' · ') : (e.versions[0]?.version ?? '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="card">
        <header className="card-header">
          <h2 className="card-title">Services · {shownNodes.length}</h2>
        </header>
        <div className="table-wrap" style={{ maxHeight: '40vh' }}>
          <table className="table" data-testid="services-table">
            <thead>
              <tr>
                <th>Service</th>
                <th>Versions</th>
                <th className="num">Inbound rps</th>
                <th className="num">Success</th>
                <th className="num">Before retries</th>
                <th className="num">p99</th>
                <th>Proxies</th>
                <th>Inbound mTLS</th>
                <th>Policies</th>
              </tr>
            </thead>
            <tbody>
              {shownNodes.map((n) => (
                <tr key={n.id} className={`clickable ${selection?.id === n.id ? 'selected' : ''}`} {...rowKeys(() => onSelect({ type: 'node', id: n.id }))} data-testid="service-row" data-service={n.id}>
                  <td>
                    <HealthDot health={healthOf(n.inbound)} /> <strong>{n.name}</strong> <span className="muted">{n.namespace}</span>
                  </td>
                  <td>{n.versions.join(', ')}</td>
                  <td className="num">{fmtRps(n.inbound?.rps)}</td>
                  <td className={`num tone-${healthOf(n.inbound)}`} data-testid="service-row-success">{fmtPct(n.inbound?.successRate)}</td>
                  <td className="num" data-testid="service-row-actual">{fmtPct(n.inbound?.actualSuccessRate)}</td>
                  <td className="num">{fmtMs(n.inbound?.p99Ms)}</td>
                  <td>{n.external ? '' : `${n.proxies.inSync}/${n.proxies.total} in sync`}</td>
                  <td>{n.security?.mtlsMode ?? ''}</td>
                  <td>
                    <div className="chips">
                      {n.policies.map((p) => (
                        <Badge key={`${p.kind}/${p.name}`} tone="accent">
                          {p.kind}
                        </Badge>
                      ))}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
