'use client';

import { useQuery } from '@tanstack/react-query';
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useState } from 'react';
import { fmtMs, fmtPct, fmtRps, fmtTime } from '@/lib/format';
import { useTRPC, type RouterInputs, type SeriesPoint } from '@/lib/trpc';
import { ErrorState, Loading, Segmented } from '../ui';

export const WINDOWS = [
  { value: 60, label: '1m' },
  { value: 300, label: '5m' },
  { value: 900, label: '15m' },
  { value: 3600, label: '1h' },
  { value: 21_600, label: '6h' },
  { value: 86_400, label: '24h' },
] as const;

type SeriesInput = RouterInputs['metrics']['series'];
export type SeriesScope =
  | { scope: 'edge'; source: string; destination: string }
  | { scope: 'route'; destination: string; route: string; source?: string }
  | { scope: 'service'; service: string };

const COLORS = { rps: '#4f46e5', retries: '#d97706', limited: '#db2777', success: '#16a34a', p50: '#60a5fa', p95: '#4f46e5', p99: '#9333ea' };

function tickTime(windowSeconds: number) {
  return (t: number) => {
    const d = new Date(t);
    return windowSeconds >= 900 ? `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}` : fmtTime(t);
  };
}

function TooltipBox({ active, payload, label, format }: { active?: boolean; payload?: readonly { name?: string; value?: number | string; color?: string }[]; label?: number; format: (v: number) => string }) {
  if (!active || !payload?.length || label === undefined) return null;
  return (
    <div className="chart-tooltip">
      <div className="muted">{fmtTime(label)}</div>
      {payload.map((p) => (
        <div key={p.name} style={{ color: p.color }}>
          {p.name}: <strong>{typeof p.value === 'number' ? format(p.value) : '–'}</strong>
        </div>
      ))}
    </div>
  );
}

/** Traffic, success and latency over a chosen window, for one edge, route or service. */
export function SeriesCharts({ scope, testId = 'series-charts' }: { scope: SeriesScope; testId?: string }) {
  const trpc = useTRPC();
  const [windowSeconds, setWindowSeconds] = useState<number>(300);
  const input = { ...scope, windowSeconds, maxPoints: 120 } as SeriesInput;
  const q = useQuery(trpc.metrics.series.queryOptions(input, { refetchInterval: windowSeconds <= 900 ? 2000 : 30_000, placeholderData: (prev) => prev }));
  const points: (SeriesPoint & { successPct: number | null })[] = (q.data?.points ?? []).map((p) => ({ ...p, successPct: p.successRate === null ? null : p.successRate * 100 }));
  const tick = tickTime(windowSeconds);
  const axis = { fontSize: 10, fill: '#7a8699' };
  return (
    <div data-testid={testId}>
      <div className="toolbar" style={{ justifyContent: 'space-between' }}>
        <span className="hint">{q.data ? `${q.data.resolutionSeconds}s resolution` : ' '}</span>
        <Segmented label="Time window" options={WINDOWS} value={windowSeconds} onChange={setWindowSeconds} testId="window-picker" />
      </div>
      {q.isLoading ? (
        <Loading label="Loading metrics…" />
      ) : q.error && !q.data ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <>
          <div className="chart-title">
            <span>Requests / s</span>
          </div>
          <div className="chart" data-testid="chart-rps">
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={points} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#f0f2f5" vertical={false} />
                <XAxis dataKey="t" tickFormatter={tick} tick={axis} minTickGap={40} stroke="#e4e7ec" />
                <YAxis tick={axis} stroke="#e4e7ec" allowDecimals={false} width={44} />
                <Tooltip content={<TooltipBox format={(v) => fmtRps(v)} />} isAnimationActive={false} />
                <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
                <Area type="monotone" dataKey="rps" name="requests/s" stroke={COLORS.rps} fill={COLORS.rps} fillOpacity={0.12} strokeWidth={1.6} isAnimationActive={false} dot={false} />
                <Area type="monotone" dataKey="retriesPerSecond" name="retries/s" stroke={COLORS.retries} fill={COLORS.retries} fillOpacity={0.08} strokeWidth={1.4} isAnimationActive={false} dot={false} />
                <Area type="monotone" dataKey="rateLimitedPerSecond" name="rate-limited/s" stroke={COLORS.limited} fill={COLORS.limited} fillOpacity={0.08} strokeWidth={1.4} isAnimationActive={false} dot={false} />
              </AreaChart>
            </ResponsiveContainer>
          </div>
          <div className="chart-title">
            <span>Success rate</span>
          </div>
          <div className="chart" data-testid="chart-success">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#f0f2f5" vertical={false} />
                <XAxis dataKey="t" tickFormatter={tick} tick={axis} minTickGap={40} stroke="#e4e7ec" />
                <YAxis tick={axis} stroke="#e4e7ec" domain={[(min: number) => Math.max(0, Math.floor(Math.min(min, 95))), 100]} tickFormatter={(v: number) => `${v}%`} width={44} />
                <Tooltip content={<TooltipBox format={(v) => fmtPct(v / 100, 2)} />} isAnimationActive={false} />
                <Line type="monotone" dataKey="successPct" name="success" stroke={COLORS.success} strokeWidth={1.6} dot={false} isAnimationActive={false} connectNulls={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
          <div className="chart-title">
            <span>Latency</span>
          </div>
          <div className="chart" data-testid="chart-latency">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#f0f2f5" vertical={false} />
                <XAxis dataKey="t" tickFormatter={tick} tick={axis} minTickGap={40} stroke="#e4e7ec" />
                <YAxis tick={axis} stroke="#e4e7ec" tickFormatter={(v: number) => fmtMs(v)} width={44} />
                <Tooltip content={<TooltipBox format={(v) => fmtMs(v)} />} isAnimationActive={false} />
                <Legend iconSize={8} wrapperStyle={{ fontSize: 11 }} />
                <Line type="monotone" dataKey="p50Ms" name="p50" stroke={COLORS.p50} strokeWidth={1.4} dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="p95Ms" name="p95" stroke={COLORS.p95} strokeWidth={1.4} dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="p99Ms" name="p99" stroke={COLORS.p99} strokeWidth={1.6} dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </>
      )}
    </div>
  );
}
