'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { fmtAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../icons';
import { Badge, Card, Empty, ErrorState, Loading, PageHeader, Segmented, Stat, SyncBadge } from '../ui';

type Filter = 'all' | 'syncing' | 'disconnected';

/** Every proxy the control plane knows: identity, config version applied vs wanted, in sync, last seen. */
export function ProxiesPage() {
  const trpc = useTRPC();
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: 2000 }));
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<Filter>('all');
  const list = proxies.data ?? [];
  const q = search.trim().toLowerCase();
  const shown = list.filter(
    (p) =>
      (!q || `${p.service} ${p.namespace} ${p.instance} ${p.endpoint ?? ''} ${Object.values(p.labels).join(' ')}`.toLowerCase().includes(q)) &&
      (filter === 'all' || (filter === 'syncing' ? p.connected && !p.inSync : !p.connected && !p.scaledToZero)),
  );
  const connected = list.filter((p) => p.connected);
  // A proxy whose service its ScaleToZeroPolicy scaled down left on purpose: not counted as a loss.
  const scaledDown = list.filter((p) => p.scaledToZero).length;
  const lost = list.length - connected.length - scaledDown;
  const inSync = connected.filter((p) => p.inSync).length;
  // "Last seen" is relative to when the list was fetched, so it moves with every refresh.
  const now = proxies.dataUpdatedAt || undefined;

  return (
    <div className="page" data-testid="proxies-page">
      <PageHeader title="Proxies" subtitle="Each sidecar or node agent connected to the control plane, and whether it runs the newest config." />
      <div className="stats" style={{ marginBottom: 16 }}>
        <Stat label="Connected" value={connected.length} testId="proxies-connected" />
        <Stat label="In sync" value={`${inSync}/${connected.length}`} tone={connected.length && inSync === connected.length ? 'healthy' : 'degraded'} testId="proxies-in-sync" />
        <Stat
          label="Disconnected"
          value={lost}
          tone={lost ? 'failing' : undefined}
          hint={scaledDown ? `kept for a grace period; ${scaledDown} more scaled to zero` : 'kept for a grace period'}
          testId="proxies-disconnected"
        />
        <Stat label="Refused a config" value={list.filter((p) => p.lastError).length} tone={list.some((p) => p.lastError) ? 'failing' : undefined} />
      </div>
      <Card
        className="flush"
        title={
          <div className="toolbar">
            <div className="search">
              <Icon name="search" size={14} />
              <input className="input input-sm" style={{ width: 260 }} placeholder="Service, instance or label…" aria-label="Filter proxies" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="proxies-search" />
            </div>
            <Segmented
              label="Show"
              value={filter}
              onChange={setFilter}
              options={[
                { value: 'all', label: 'All' },
                { value: 'syncing', label: 'Out of sync' },
                { value: 'disconnected', label: 'Disconnected' },
              ]}
            />
          </div>
        }
      >
        {proxies.isLoading ? (
          <Loading label="Loading proxies…" />
        ) : proxies.error && !proxies.data ? (
          <ErrorState error={proxies.error} onRetry={() => void proxies.refetch()} />
        ) : list.length === 0 ? (
          <Empty title="No proxies connected" testId="proxies-empty">
            Start one with <span className="mono">trellis proxy --service NAME --control-plane URL</span>, or run <span className="mono">npm start</span> for the demo mesh.
          </Empty>
        ) : shown.length === 0 ? (
          <Empty title="No proxy matches this filter" />
        ) : (
          <div className="table-wrap">
            <table className="table stack-narrow" data-testid="proxies-table">
              <thead>
                <tr>
                  <th>Service</th>
                  <th>Instance</th>
                  <th>Labels</th>
                  <th>Endpoint</th>
                  <th>Zone</th>
                  <th className="num">Applied</th>
                  <th className="num">Wanted</th>
                  <th>Status</th>
                  <th>Last seen</th>
                  <th>Proxy</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((p) => (
                  <tr key={p.id} data-testid="proxy-row" data-service={p.service} data-instance={p.instance} data-in-sync={p.inSync ? 'true' : 'false'}>
                    <td>
                      <strong>{p.service}</strong> <span className="muted">{p.namespace}</span>
                    </td>
                    <td data-label="Instance" className="mono">{p.instance}</td>
                    <td data-label="Labels">
                      <div className="chips">
                        {Object.entries(p.labels).map(([k, v]) => (
                          <Badge key={k}>
                            {k}={v}
                          </Badge>
                        ))}
                      </div>
                    </td>
                    <td data-label="Endpoint" className="mono">{p.endpoint ?? '–'}</td>
                    <td data-label="Zone" className="nowrap">{p.zone ?? <span className="muted">–</span>}</td>
                    <td data-label="Applied" className="num" data-testid="proxy-applied">{p.appliedVersion ?? '–'}</td>
                    <td data-label="Wanted" className="num" data-testid="proxy-wanted">{p.desiredVersion ?? '–'}</td>
                    <td data-label="Status">
                      <SyncBadge inSync={p.inSync} connected={p.connected} scaledToZero={p.scaledToZero} testId="proxy-sync" />
                      {p.lastError ? (
                        <div className="hint" style={{ color: 'var(--bad)', maxWidth: 260 }} title={p.lastError}>
                          {p.lastError}
                        </div>
                      ) : null}
                    </td>
                    <td data-label="Last seen" title={p.lastSeen}>{fmtAgo(p.lastSeen, now)}</td>
                    <td data-label="Proxy" className="mono muted">{p.proxyVersion}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
