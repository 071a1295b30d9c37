'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { measuredSplit, splitTarget, type TrafficSplit } from '@/lib/canary';
import { fmtBeforeRetries, fmtMs, fmtPct, fmtRps } from '@/lib/format';
import { healthOf } from '@/lib/health';
import { useTRPC, type GraphNode, type ServiceGraph, type ServiceSummary } from '@/lib/trpc';
import { CanaryControl, editorHref } from '../canary/CanaryControl';
import { SeriesCharts } from '../charts/LazySeriesCharts';
import { ServiceSecurity } from '../security/ServiceSecurity';
import { Badge, Empty, HealthDot, Loading, Stat, SyncBadge } from '../ui';

export function NodePanel({ nodeId, node, graph, onClose }: { nodeId: string; node: GraphNode | undefined; graph: ServiceGraph | undefined; onClose: () => void }) {
  const trpc = useTRPC();
  const services = useQuery(trpc.services.list.queryOptions(undefined, { refetchInterval: 3000 }));
  const splits = useQuery(trpc.resources.list.queryOptions({ kind: 'TrafficSplit' }, { refetchInterval: 5000 }));
  const service: ServiceSummary | undefined = services.data?.find((s) => `${s.name}.${s.namespace}` === nodeId);
  const s = node?.inbound;
  const health = healthOf(s);
  const external = nodeId === 'external';
  const [name = nodeId, namespace = ''] = [node?.name, node?.namespace];
  const split = (splits.data ?? []).find((r): r is TrafficSplit => r.kind === 'TrafficSplit' && splitTarget(r as TrafficSplit).name === name && splitTarget(r as TrafficSplit).namespace === namespace);
  const callers = graph?.edges.filter((e) => e.destination === nodeId) ?? [];
  const callees = graph?.edges.filter((e) => e.source === nodeId) ?? [];

  return (
    <aside className="panel" data-testid="node-panel" aria-label={`Service ${nodeId}`}>
      <div className="panel-header">
        <div>
          <h2>
            <HealthDot health={health} /> {external ? 'external callers' : name}
            {node?.versions.map((v) => (
              <Badge key={v} tone="accent">
                {v}
              </Badge>
            ))}
          </h2>
          <div className="sub">{external ? 'requests entering the mesh from outside' : `namespace ${namespace}`}</div>
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close panel" data-testid="panel-close">
          ×
        </button>
      </div>
      <div className="panel-body">
        <div className="stats">
          <Stat label="Inbound rps" value={fmtRps(s?.rps)} testId="node-stat-rps" />
          <Stat label="Success" value={fmtPct(s?.successRate)} hint={fmtBeforeRetries(s)} tone={health} testId="node-stat-success" />
          <Stat label="p99" value={fmtMs(s?.p99Ms)} hint={`p50 ${fmtMs(s?.p50Ms)}`} testId="node-stat-p99" />
        </div>
        <div className="hint" style={{ marginTop: 6 }}>
          {callers.length} caller{callers.length === 1 ? '' : 's'} · calls {callees.length} service{callees.length === 1 ? '' : 's'}
          {!external ? (
            <>
              {' · '}
              <Link href={`/tap?service=${encodeURIComponent(nodeId)}`}>Live tap</Link>
              {' · '}
              <Link href={`/traces?service=${encodeURIComponent(nodeId)}`}>Traces</Link>
            </>
          ) : null}
        </div>

        {!external ? (
          <>
            <div className="section-title">Security</div>
            <ServiceSecurity nodeId={nodeId} node={node} />
          </>
        ) : null}

        {split ? (
          <>
            <div className="section-title" style={{ display: 'flex', justifyContent: 'space-between' }}>
              <span>Canary · {split.metadata.name}</span>
              <Link href={editorHref(split)} style={{ textTransform: 'none', letterSpacing: 0 }}>
                Edit split →
              </Link>
            </div>
            <CanaryControl split={split} measured={measuredSplit(graph, nodeId)} />
          </>
        ) : null}

        {!external ? (
          <>
            <div className="section-title" style={{ display: 'flex', justifyContent: 'space-between' }}>
              <span>Policies</span>
              <Link href={`/policies/new?target=${encodeURIComponent(name)}&namespace=${encodeURIComponent(namespace)}`} style={{ textTransform: 'none', letterSpacing: 0 }}>
                Add policy →
              </Link>
            </div>
            {node && node.policies.length > 0 ? (
              <ul className="list" data-testid="node-policies">
                {node.policies.map((p) => (
                  <li key={`${p.kind}/${p.namespace}/${p.name}`}>
                    <Link className="row-link" href={editorHref({ kind: p.kind, metadata: p })}>
                      <Badge tone="accent">{p.kind}</Badge>
                      <span className="grow">{p.name}</span>
                      <span className="muted">edit →</span>
                    </Link>
                  </li>
                ))}
              </ul>
            ) : (
              <div className="hint">No policy targets this service.</div>
            )}

            <div className="section-title">
              Endpoints {service ? `· ${service.proxies.inSync}/${service.proxies.total} proxies in sync` : ''}
            </div>
            {services.isLoading ? (
              <Loading />
            ) : !service || service.endpoints.length === 0 ? (
              <Empty title="No endpoints">No instance of this service is registered right now.</Empty>
            ) : (
              <div className="card">
                <table className="table" data-testid="node-endpoints">
                  <thead>
                    <tr>
                      <th>Endpoint</th>
                      <th>Version</th>
                      <th>Proxy</th>
                    </tr>
                  </thead>
                  <tbody>
                    {service.endpoints.map((e) => (
                      <tr key={`${e.address}:${e.port}`} data-testid="node-endpoint" data-endpoint={`${e.address}:${e.port}`}>
                        <td>
                          <div className="mono">
                            {e.address}:{e.port}
                          </div>
                          <div className="hint">
                            {e.instance ?? 'no instance id'}
                            {e.zone ? ` · ${e.zone}` : ''}
                          </div>
                        </td>
                        <td>{e.labels.version ?? <span className="muted">–</span>}</td>
                        <td>
                          {e.proxy ? (
                            <>
                              <SyncBadge inSync={e.proxy.inSync} connected={e.proxy.connected} testId="endpoint-sync" />
                              <div className="hint">config v{e.proxy.appliedVersion ?? '–'}</div>
                            </>
                          ) : (
                            <Badge tone="muted">no proxy</Badge>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        ) : null}

        <div className="section-title">Inbound over time</div>
        <SeriesCharts scope={{ scope: 'service', service: nodeId }} testId="node-charts" />
      </div>
    </aside>
  );
}
