'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { fmtMs, fmtTime } from '@/lib/format';
import { useLiveStatus } from '@/lib/connectivity';
import { useTRPC, type TapEvent } from '@/lib/trpc';
import { Badge, Button, Card, Empty, PageHeader, Spinner, Stat } from '../ui';

const MAX_ROWS = 300;

/** Live requests into one service as its proxies see them (what `linkerd viz tap` shows). */
export function TapPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const service = params.get('service') ?? '';
  const services = useQuery(trpc.services.list.queryOptions(undefined, { staleTime: 10_000 }));
  const [running, setRunning] = useState(true);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const [filter, setFilter] = useState('');
  const [rows, setRows] = useState<(TapEvent & { key: number })[]>([]);
  const pending = useRef<TapEvent[]>([]);
  const seq = useRef(0);
  const arrivals = useRef<number[]>([]);
  /** When the stream (re)started: the rate is averaged over the last 5 s, or over less right after a start. */
  const streamingSince = useRef(Date.now());
  const [rate, setRate] = useState<number | null>(null);

  const sub = useSubscription(
    trpc.tap.watch.subscriptionOptions(
      { service: service || 'none' },
      {
        enabled: !!service && running,
        onData: (e) => {
          pending.current.push(e);
          arrivals.current.push(Date.now());
        },
      },
    ),
  );

  useLiveStatus(sub);

  // Batch arrivals into one render every 250 ms: a busy service sends hundreds a second.
  useEffect(() => {
    const t = setInterval(() => {
      const now = Date.now();
      arrivals.current = arrivals.current.filter((a) => a >= now - 5000);
      const seconds = Math.min(5, (now - streamingSince.current) / 1000);
      setRate(seconds >= 1 ? arrivals.current.length / seconds : null);
      if (pending.current.length === 0) return;
      const batch = pending.current.splice(0).reverse().map((e) => ({ ...e, key: ++seq.current }));
      setRows((r) => [...batch, ...r].slice(0, MAX_ROWS));
    }, 250);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    setRows([]);
    pending.current = [];
    arrivals.current = [];
  }, [service]);

  useEffect(() => {
    arrivals.current = [];
    streamingSince.current = Date.now();
  }, [service, running]);

  const q = filter.trim().toLowerCase();
  const shown = rows.filter((r) => (!errorsOnly || r.status >= 500) && (!q || `${r.method} ${r.path} ${r.route} ${r.source} ${r.status}`.toLowerCase().includes(q)));
  const errors = rows.filter((r) => r.status >= 500).length;
  const names = (services.data ?? []).map((s) => `${s.name}.${s.namespace}`).sort();
  const status = !service ? 'idle' : !running ? 'paused' : sub.status === 'pending' ? 'live' : sub.status === 'error' ? 'error' : 'connecting';

  return (
    <div className="page" data-testid="tap-page">
      <PageHeader title="Live tap" subtitle="Requests into one service as they happen: source, method, path, status and latency. Sampled by the tracing policy." />
      <Card>
        <div className="toolbar">
          <select className="select" aria-label="Service to tap" value={service} onChange={(e) => router.replace(`${pathname}?service=${encodeURIComponent(e.target.value)}`)} data-testid="tap-service">
            <option value="">Choose a service…</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <Button variant={running ? 'default' : 'primary'} onClick={() => setRunning((r) => !r)} disabled={!service} data-testid="tap-toggle">
            {running ? 'Pause' : 'Resume'}
          </Button>
          <Button onClick={() => setRows([])} disabled={rows.length === 0}>
            Clear
          </Button>
          <label className="check">
            <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> 5xx only
          </label>
          <input className="input" style={{ width: 220 }} placeholder="Filter path, route, source…" aria-label="Filter requests" value={filter} onChange={(e) => setFilter(e.target.value)} />
          <span className="spacer" />
          <span className="live-pill" data-testid="tap-status" data-state={status}>
            {status === 'live' ? <span className="dot dot-healthy" /> : status === 'connecting' ? <Spinner size={10} /> : <span className={`dot ${status === 'error' ? 'dot-failing' : 'dot-idle'}`} />}
            {status === 'live' ? 'Streaming' : status === 'connecting' ? 'Connecting…' : status === 'paused' ? 'Paused' : status === 'error' ? 'Stream failed — retrying' : 'Idle'}
          </span>
        </div>
      </Card>
      {service ? (
        <>
          <div className="stats" style={{ margin: '16px 0' }}>
            <Stat label="Requests/s (5 s)" value={rate === null ? '–' : rate.toFixed(1)} testId="tap-rate" />
            <Stat label="Shown" value={`${shown.length}/${rows.length}`} hint={`last ${MAX_ROWS} kept`} />
            <Stat label="5xx" value={errors} tone={errors ? 'failing' : undefined} />
            <Stat label="Slowest shown" value={fmtMs(Math.max(0, ...shown.map((r) => r.latencyMs)))} />
          </div>
          <Card className="flush">
            {rows.length === 0 ? (
              <Empty title={running ? `Waiting for requests into ${service}…` : 'Paused'} testId="tap-empty">
                Requests appear here as the service’s proxies report them (about once a second).
              </Empty>
            ) : (
              <div className="table-wrap" style={{ maxHeight: 'calc(100vh - 330px)' }}>
                <table className="table stack-narrow tap-table" data-testid="tap-table">
                  <thead>
                    <tr>
                      <th>Time</th>
                      <th>From</th>
                      <th>Method</th>
                      <th>Path</th>
                      <th>Route</th>
                      <th>Status</th>
                      <th className="num">Latency</th>
                      <th>Trace</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((r) => (
                      <tr key={r.key} className="new-row" data-testid="tap-row">
                        <td>{fmtTime(r.at, true)}</td>
                        <td data-label="From">{r.source}</td>
                        <td data-label="Method">{r.method}</td>
                        <td data-label="Path">{r.path}</td>
                        <td data-label="Route">{r.route === 'default' ? <span className="muted" title="No named route matched: the service’s catch-all">—</span> : r.route}</td>
                        <td data-label="Status" className={`status-${String(r.status).charAt(0)}`}>{r.status}</td>
                        <td data-label="Latency" className="num">{fmtMs(r.latencyMs)}</td>
                        <td data-label="Trace">
                          <Link href={`/traces/${r.traceId}`}>view</Link>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </>
      ) : (
        <Card>
          <Empty title="Choose a service to tap">
            {names.length ? (
              <div className="chips" style={{ justifyContent: 'center', marginTop: 6 }}>
                {names.map((n) => (
                  <Link key={n} href={`/tap?service=${encodeURIComponent(n)}`}>
                    <Badge tone="accent">{n}</Badge>
                  </Link>
                ))}
              </div>
            ) : (
              'No services are known yet.'
            )}
          </Empty>
        </Card>
      )}
    </div>
  );
}
