/**
 * Number formatting shared by the graph labels, panels and tables, so one figure reads the same everywhere.
 * Each figure is rounded first by the function the live graph rounds it with (@trellis/shared,
 * live-graph.ts), then printed: the control plane leaves out exactly the changes this would not show.
 */
import { quantiseCount, quantiseMs, quantiseRate } from '@trellis/shared';

export function fmtRps(rps: number | null | undefined): string {
  if (rps === null || rps === undefined) return '–';
  const q = quantiseRate(rps);
  if (q === 0) return '0';
  if (q < 0.1) return q.toFixed(2);
  if (q < 10) return q.toFixed(1);
  if (q < 10_000) return String(q);
  return `${(q / 1000).toFixed(1)}k`;
}

export function fmtPct(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined) return '–';
  const pct = ratio * 100;
  if (pct === 100) return '100%';
  return `${pct.toFixed(digits)}%`;
}

/**
 * The success rate callers got, and, when retries hid failures, the one of every try: "100% · 95.2% before
 * retries". Retries can only raise the first, so a visible difference means a callee failing under them.
 */
export function fmtSuccess(stats: { successRate: number | null; actualSuccessRate?: number | null } | null | undefined): string {
  const effective = fmtPct(stats?.successRate);
  const actual = stats?.actualSuccessRate;
  if (actual === null || actual === undefined || fmtPct(actual) === effective) return effective;
  return `${effective} · ${fmtPct(actual)} before retries`;
}

/** "95.2% before retries" when retries hid failures (the second half of fmtSuccess), else undefined. */
export function fmtBeforeRetries(stats: { successRate: number | null; actualSuccessRate?: number | null } | null | undefined): string | undefined {
  return fmtSuccess(stats).split(' · ')[1];
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const q = quantiseMs(ms) ?? 0;
  if (q < 1) return `${q.toFixed(2)}ms`;
  if (q < 10) return `${q.toFixed(1)}ms`;
  if (q < 1000) return `${q}ms`;
  if (q < 60_000) return `${(q / 1000).toFixed(q < 10_000 ? 2 : 1)}s`;
  return `${(q / 60_000).toFixed(1)}m`;
}

export function fmtCount(n: number): string {
  const q = quantiseCount(n);
  if (q < 1000) return String(q);
  if (q < 1_000_000) return `${(q / 1000).toFixed(q < 10_000 ? 1 : 0)}k`;
  return `${(q / 1_000_000).toFixed(1)}M`;
}

/** "3 s ago", "4 min ago" — for last-seen and revision times. */
export function fmtAgo(at: string | number | Date, now = Date.now()): string {
  const t = typeof at === 'number' ? at : new Date(at).getTime();
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

export function fmtTime(at: string | number, withMs = false): string {
  const d = new Date(at);
  const hh = String(d.getHours()).padStart(2, '0');
  const mm = String(d.getMinutes()).padStart(2, '0');
  const ss = String(d.getSeconds()).padStart(2, '0');
  return withMs ? `${hh}:${mm}:${ss}.${String(d.getMilliseconds()).padStart(3, '0')}` : `${hh}:${mm}:${ss}`;
}

export function fmtDateTime(at: string | number): string {
  const d = new Date(at);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${fmtTime(at)}`;
}

/** "reviews.default" -> "reviews"; "external" stays. */
export function serviceName(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

export function serviceNamespace(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? '' : id.slice(dot + 1);
}

/**
 * A span's or route's name as people read it: a request no named route matched is named for the
 * catch-all route, "default" (which is also the namespace's name), so show its path instead when known.
 */
export function spanLabel(name: string, attributes?: Record<string, unknown>): string {
  if (!/(^| )default$/.test(name)) return name;
  const path = attributes?.['http.path'];
  return name.replace(/(^| )default$/, `$1${typeof path === 'string' ? path.split('?')[0] : '(any route)'}`);
}
