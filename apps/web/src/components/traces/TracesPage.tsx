'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useRef, useState } from 'react';
import { fmtAgo, fmtMs, fmtTime, serviceName, spanLabel } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { Badge, Button, Card, Empty, ErrorState, Loading, PageHeader } from '../ui';

const RANGES = [
  { value: '5m', label: 'Last 5 minutes', ms: 5 * 60_000 },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { value: 'all', label: 'Any time', ms: 0 },
] as const;

const STATUSES = [
  { value: '', label: 'Any status' },
  { value: 'error', label: 'Errors only' },
  { value: 'ok', label: 'Successful only' },
  { value: '500', label: '500' },
  { value: '502', label: '502' },
  { value: '503', label: '503' },
  { value: '504', label: '504' },
  { value: '429', label: '429 (rate limited)' },
] as const;

/** How long a trace's first span may take to arrive (each proxy sends on its own tick) before the earliest span we have stands in for it. */
const ROOT_WAIT_MS = 10_000;

/** Traces with filters kept in the URL (service, edge, status, minimum duration, time range). */
export function TracesPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const service = params.get('service') ?? '';
  const source = params.get('source') ?? '';
  const destination = params.get('destination') ?? '';
  const status = params.get('status') ?? '';
  const minMs = params.get('minMs') ?? '';
  const range = params.get('range') ?? '15m';
  const [minDraft, setMinDraft] = useState(minMs);
  useEffect(() => setMinDraft(minMs), [minMs]);
  const [now, setNow] = useState(() => Date.now());

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    router.replace(`${pathname}?${next.toString()}`, { scroll: false });
  };
  // Min duration applies as the other filters do, a moment after typing stops (no Enter needed).
  const applyMin = useRef(set);
  applyMin.current = set;
  useEffect(() => {
    if (minDraft === minMs) return;
    const t = setTimeout(() => applyMin.current({ minMs: minDraft }), 400);
    return () => clearTimeout(t);
  }, [minDraft, minMs]);

  const rangeMs = RANGES.find((r) => r.value === range)?.ms ?? 15 * 60_000;
  const input = useMemo(
    () => ({
      ...(service ? { service } : {}),
      ...(source && destination ? { source, destination } : {}),
      ...(status ? { status: /^\d+$/.test(status) ? Number(status) : (status as 'error' | 'ok') } : {}),
      ...(minMs && Number(minMs) > 0 ? { minDurationMs: Number(minMs) } : {}),
      ...(rangeMs ? { fromMs: Math.floor((now - rangeMs) / 10_000) * 10_000 } : {}),
      limit: 100,
    }),
    [service, source, destination, status, minMs, rangeMs, now],
  );
  const services = useQuery(trpc.services.list.queryOptions(undefined, { staleTime: 30_000 }));
  const traces = useQuery(trpc.traces.search.queryOptions(input, { placeholderData: (prev) => prev }));
  const maxDuration = Math.max(1, ...(traces.data ?? []).map((t) => t.durationMs));
  const names = [...new Set((services.data ?? []).map((s) => `${s.name}.${s.namespace}`))].sort();

  return (
    <div className="page" data-testid="traces-page">
      <PageHeader
        title="Traces"
        subtitle="Sampled requests across the mesh, newest first. Errors and slow requests are always kept."
        actions={
          <Button
            onClick={() => {
              setNow(Date.now());
              void traces.refetch();
            }}
            data-testid="traces-refresh"
          >
            Refresh
          </Button>
        }
      />
      <Card>
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            set({ minMs: minDraft });
          }}
          aria-label="Trace filters"
        >
          <select className="select" aria-label="Service" value={service} onChange={(e) => set({ service: e.target.value })} data-testid="filter-service">
            <option value="">All services</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <select className="select" aria-label="Status" value={status} onChange={(e) => set({ status: e.target.value })} data-testid="filter-status">
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <label className="toolbar" style={{ gap: 6 }}>
            <span className="hint">Min duration</span>
            <input className="input" style={{ width: 90 }} type="number" min={0} step={1} inputMode="numeric" placeholder="ms" value={minDraft} onChange={(e) => setMinDraft(e.target.value)} onBlur={() => set({ minMs: minDraft })} aria-label="Minimum duration in milliseconds" data-testid="filter-min-duration" />
            <span className="hint">ms</span>
          </label>
          <select className="select" aria-label="Time range" value={range} onChange={(e) => set({ range: e.target.value })} data-testid="filter-range">
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          {source && destination ? (
            <Badge tone="accent" title="Only traces with a call on this edge">
              edge {source} → {serviceName(destination)}{' '}
              <button type="button" className="icon-btn" style={{ fontSize: 13, padding: 0 }} aria-label="Clear the edge filter" onClick={() => set({ source: '', destination: '' })}>
                ×
              </button>
            </Badge>
          ) : null}
          <span className="spacer" />
          <span className="hint">{traces.data ? `${traces.data.length} traces${traces.data.length === 100 ? ' (newest 100)' : ''}` : ''}</span>
        </form>
      </Card>
      <Card className="flush" testId="traces-list">
        {traces.isLoading ? (
          <Loading label="Searching traces…" />
        ) : traces.error && !traces.data ? (
          <ErrorState error={traces.error} onRetry={() => void traces.refetch()} />
        ) : !traces.data?.length ? (
          <Empty title="No traces match" testId="traces-empty">
            Widen the time range or clear a filter. With the demo running, new traces arrive every second.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table stack-narrow">
              <thead>
                <tr>
                  <th>Started</th>
                  {/* The root gets the room first; the duration bar is relative and reads at any width. */}
                  <th style={{ width: '40%' }}>Root</th>
                  <th>Services</th>
                  <th className="num">Spans</th>
                  <th style={{ width: '12%' }}>Duration</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {traces.data.map((t) => (
                  <tr
                    key={t.traceId}
                    className="clickable"
                    data-testid="trace-row"
                    data-error={t.error ? 'true' : 'false'}
                    data-duration-ms={t.durationMs}
                    data-services={t.services.join(' ')}
                    onClick={() => router.push(`/traces/${t.traceId}`)}
                  >
                    {/* Two lines (rows are two tall with their services anyway): the one column that can give way without cutting anything. */}
                    <td className="num nowrap" title={new Date(t.startMs).toISOString()}>
                      {fmtTime(t.startMs, true)}
                      <span className="muted block">{fmtAgo(t.startMs, now)}</span>
                    </td>
                    {/* A long root (a long path) is cut with an ellipsis before the table grows past its card; the title has it whole. */}
                    <td data-label="Root" className="truncate">
                      <Link href={`/traces/${t.traceId}`} onClick={(e) => e.stopPropagation()} title={`${t.rootService} ${spanLabel(t.rootName)}`} data-testid="trace-root" data-root-reported={t.rootReported ? 'true' : 'false'}>
                        {t.rootReported || now - t.startMs > ROOT_WAIT_MS ? (
                          <>
                            <strong>{serviceName(t.rootService)}</strong> <span className="mono">{spanLabel(t.rootName)}</span>
                          </>
                        ) : (
                          <span className="muted">first span not reported yet · {serviceName(t.rootService)}</span>
                        )}
                      </Link>
                    </td>
                    <td data-label="Services" style={{ minWidth: 220 }}>
                      <ServiceChips services={t.services} />
                    </td>
                    <td data-label="Spans" className="num">{t.spanCount}</td>
                    <td data-label="Duration">
                      <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
                        <div className={`dur-bar ${t.error ? 'error' : ''}`} style={{ width: `${Math.max(2, (t.durationMs / maxDuration) * 70)}%` }} />
                        <span className="num">{fmtMs(t.durationMs)}</span>
                      </div>
                    </td>
                    <td data-label="Status" className="nowrap">
                      <TraceStatus status={t.status} error={t.error} />
                    </td>
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

/** A trace's services in one line: short names (namespace in the tooltip), the first few and a count. */
function ServiceChips({ services, max = 4 }: { services: string[]; max?: number }) {
  const shown = services.slice(0, max);
  const rest = services.slice(max);
  return (
    // Chips wrap when the table is narrow (a 1280 px window with the nav): the Status column stays in view.
    <div className="chips">
      {shown.map((s) => (
        <Badge key={s} title={s}>
          {serviceName(s)}
        </Badge>
      ))}
      {rest.length ? (
        <Badge tone="muted" title={rest.join(', ')}>
          +{rest.length}
        </Badge>
      ) : null}
    </div>
  );
}

/**
 * The root's status, and whether a call inside failed: a payment that failed once and succeeded on
 * retry answers 200 but still counts as a trace with an error.
 */
function TraceStatus({ status, error }: { status: number; error: boolean }) {
  if (!status) return <Badge tone="bad">error</Badge>;
  const tone = status >= 500 ? 'bad' : status >= 400 ? 'warn' : 'ok';
  return (
    <span className="chips chips-line">
      <Badge tone={tone}>{status}</Badge>
      {error && status < 500 ? (
        <Badge tone="warn" title="A call inside this trace failed (it may have been retried); see the waterfall">
          failed call
        </Badge>
      ) : null}
    </span>
  );
}
