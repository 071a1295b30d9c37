'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { fmtAgo, fmtBeforeRetries, fmtMs, fmtPct, fmtRps, serviceName } from '@/lib/format';
import { fmtGrpcStatuses, grpcStatusCounts, type GrpcStatusCount } from '@/lib/grpc';
import { healthOf } from '@/lib/health';
import { useTRPC, type GraphEdge, type GraphNode } from '@/lib/trpc';
import { SeriesCharts } from '../charts/LazySeriesCharts';
import { Icon } from '../icons';
import { EdgeSecurity } from '../security/EdgeSecurity';
import { Badge, Empty, ErrorState, HealthDot, Loading, Stat } from '../ui';

const VERSION_COLORS = ['#4f46e5', '#db2777', '#0891b2', '#65a30d', '#d97706'];
/** How old a trace must be to be listed as recent: by then every proxy on its path has sent its spans. */
const SETTLE_MS = 3000;

/**
 * The trace filter for one edge: client spans the caller's proxy sent to the destination (spans name
 * services "name.namespace", like the graph). Requests from outside the mesh have no caller proxy, so
 * for them it is the destination's own spans.
 */
export function edgeTraceFilter(source: string, destination: string): { service: string } | { source: string; destination: string } {
  return source === 'external' ? { service: destination } : { source, destination };
}

export function EdgePanel({ edgeId, edge, nodes, onClose }: { edgeId: string; edge: GraphEdge | undefined; nodes: readonly GraphNode[]; onClose: () => void }) {
  const trpc = useTRPC();
  const [source = '', destination = ''] = edgeId.split('->');
  const s = edge?.stats;
  const health = healthOf(s);
  // Each proxy sends its spans about once a second, so the newest traces are still missing some of theirs:
  // the list shows traces that started a few seconds ago (complete), refreshed every 5 s.
  const [settled, setSettled] = useState(() => Date.now() - SETTLE_MS);
  useEffect(() => {
    const t = setInterval(() => setSettled(Date.now() - SETTLE_MS), 5000);
    return () => clearInterval(t);
  }, []);
  const traces = useQuery(trpc.traces.search.queryOptions({ ...edgeTraceFilter(source, destination), toMs: settled, limit: 8 }, { placeholderData: (prev) => prev }));
  // The live graph leaves per-route figures out (they are most of a big graph's bytes): fetch this edge's.
  const detail = useQuery(trpc.graph.edge.queryOptions({ source, destination, windowSeconds: 10 }, { refetchInterval: 2000 }));
  const routes = detail.data?.routes ?? edge?.routes ?? [];
  const grpc = grpcStatusCounts((detail.data?.stats ?? s)?.grpc);
  const traceLink = `/traces?${new URLSearchParams(Object.entries(edgeTraceFilter(source, destination))).toString()}`;

  return (
    <aside className="panel" data-testid="edge-panel" aria-label={`Edge ${source} to ${destination}`}>
      <div className="panel-header">
        <div>
          <h2>
            <HealthDot health={health} /> {serviceName(source)} <span className="muted">→</span> {serviceName(destination)}
          </h2>
          <div className="sub">
            {source} → {destination} · last {edge ? '10 s' : '10 s: no traffic'}
          </div>
        </div>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close panel" data-testid="panel-close">
          ×
        </button>
      </div>
      <div className="panel-body">
        <div className="stats">
          <Stat label="Requests/s" value={fmtRps(s?.rps)} testId="edge-stat-rps" />
          <Stat label="Success" value={fmtPct(s?.successRate)} hint={fmtBeforeRetries(s)} tone={health} testId="edge-stat-success" />
          <Stat label="p99" value={fmtMs(s?.p99Ms)} hint={`p50 ${fmtMs(s?.p50Ms)} · p95 ${fmtMs(s?.p95Ms)}`} testId="edge-stat-p99" />
          <Stat label="Retries/s" value={fmtRps(s?.retriesPerSecond ?? 0)} testId="edge-stat-retries" />
          <Stat label="Rate-limited/s" value={fmtRps(s?.rateLimitedPerSecond ?? 0)} tone={s && s.rateLimitedPerSecond > 0 ? 'degraded' : undefined} testId="edge-stat-ratelimited" />
          <Stat label="5xx" value={s ? s.codes['5xx'] : '–'} hint={s ? `${s.codes['4xx']} 4xx · ${s.ejections} ejections` : undefined} testId="edge-stat-5xx" />
        </div>

        {grpc.length > 0 ? <GrpcStatuses rows={grpc} /> : null}

        <div className="section-title">Security</div>
        <EdgeSecurity source={source} destination={destination} edge={edge} nodes={nodes} />

        {edge && edge.versions.length > 0 ? (
          <>
            <div className="section-title">Versions serving this edge</div>
            <div className="split-bar" aria-hidden>
              {edge.versions.map((v, i) => (
                <span key={v.version} style={{ width: `${v.share * 100}%`, background: VERSION_COLORS[i % VERSION_COLORS.length] }} />
              ))}
            </div>
            <div className="split-legend">
              {edge.versions.map((v, i) => (
                <span key={v.version} data-testid={`edge-version-${v.version}`} data-share={v.share.toFixed(4)}>
                  <i style={{ background: VERSION_COLORS[i % VERSION_COLORS.length] }} />
                  {v.version} {fmtPct(v.share, 0)} <span className="muted">({fmtRps(v.rps)} rps)</span>
                </span>
              ))}
            </div>
          </>
        ) : null}

        <div className="section-title">Over time</div>
        <SeriesCharts scope={{ scope: 'edge', source, destination }} />

        <div className="section-title">Routes</div>
        {routes.length > 0 ? (
          <div className="card">
            <table className="table" data-testid="edge-routes">
              <thead>
                <tr>
                  <th>Route</th>
                  <th className="num">rps</th>
                  <th className="num">Success</th>
                  <th className="num">Before retries</th>
                  <th className="num">p99</th>
                  <th className="num">Limited/s</th>
                  {grpc.length > 0 ? <th>gRPC status</th> : null}
                </tr>
              </thead>
              <tbody>
                {routes.map((r) => (
                  <tr key={r.route} data-testid="edge-route" data-route={r.route} data-grpc={r.stats.grpc ? 'true' : undefined}>
                    {/* Issue 12.10: the catch-all is called "default", as the namespace is: say what it is. */}
                    <td className="mono">
                      {r.route === 'default' ? (
                        <span className="muted" title="No named route matched: the service’s catch-all route (every path)">
                          any path (no route)
                        </span>
                      ) : (
                        r.route
                      )}
                    </td>
                    <td className="num">{fmtRps(r.stats.rps)}</td>
                    <td className={`num tone-${healthOf(r.stats)}`}>{fmtPct(r.stats.successRate)}</td>
                    <td className="num">{fmtPct(r.stats.actualSuccessRate)}</td>
                    <td className="num">{fmtMs(r.stats.p99Ms)}</td>
                    <td className="num">{fmtRps(r.stats.rateLimitedPerSecond)}</td>
                    {grpc.length > 0 ? <td data-testid="edge-route-grpc">{fmtGrpcStatuses(grpcStatusCounts(r.stats.grpc)) || '–'}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <div className="hint">No requests on this edge in the last 10 s.</div>
        )}

        <div className="section-title" style={{ display: 'flex', justifyContent: 'space-between' }}>
          <span>Recent traces</span>
          <Link href={traceLink} style={{ textTransform: 'none', letterSpacing: 0 }}>
            All traces of this edge →
          </Link>
        </div>
        {traces.isLoading ? (
          <Loading label="Loading traces…" />
        ) : traces.error && !traces.data ? (
          <ErrorState error={traces.error} onRetry={() => void traces.refetch()} />
        ) : !traces.data?.length ? (
          <Empty title="No traces yet">Sampled requests on this edge show up here within a few seconds.</Empty>
        ) : (
          <ul className="list" data-testid="edge-traces">
            {traces.data.map((t) => (
              <li key={t.traceId}>
                <Link className="row-link" href={`/traces/${t.traceId}`} data-testid="edge-trace-link">
                  <Icon name="traces" size={14} />
                  <span className="grow">
                    <span className="mono">{t.rootName}</span>
                    <span className="muted"> · {t.services.length} services · {t.spanCount} spans · {fmtAgo(t.startMs)}</span>
                  </span>
                  <span className="num">{fmtMs(t.durationMs)}</span>
                  {t.error ? <Badge tone="bad">{t.status || 'error'}</Badge> : <Badge tone="ok">{t.status}</Badge>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
    </aside>
  );
}

/** The outcomes a gRPC server gives in its trailers; the rest of the non-OK codes are the caller's or a policy's. */
const SERVER_ERRORS = new Set([2, 4, 13, 14, 15]);

/** An edge's gRPC calls by grpc-status (server-side errors are also in the success rate above, as 5xx). */
function GrpcStatuses({ rows }: { rows: readonly GrpcStatusCount[] }) {
  const total = rows.reduce((n, r) => n + r.count, 0);
  return (
    <>
      <div className="section-title">gRPC status codes</div>
      <div className="card">
        <table className="table" data-testid="edge-grpc">
          <thead>
            <tr>
              <th>Status</th>
              <th className="num">Calls</th>
              <th className="num">Share</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.code} data-testid="edge-grpc-status" data-status={r.name} data-count={r.count}>
                <td>
                  <Badge tone={r.code === 0 ? 'ok' : SERVER_ERRORS.has(r.code) ? 'bad' : 'warn'}>{r.name}</Badge> <span className="muted mono">{r.code}</span>
                </td>
                <td className="num">{r.count}</td>
                <td className="num">{fmtPct(r.count / total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="hint">Calls that ended in the last 10 s, by grpc-status. Server-side errors (UNAVAILABLE, INTERNAL, ...) count against the success rate above.</div>
    </>
  );
}
