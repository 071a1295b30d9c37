'use client';

import { useMemo, useState } from 'react';
import { fmtMs, spanLabel } from '@/lib/format';
import type { TraceSpan } from '@/lib/trpc';
import { Badge } from '../ui';

const PALETTE = ['#4f46e5', '#0891b2', '#db2777', '#65a30d', '#d97706', '#7c3aed', '#0d9488', '#e11d48', '#2563eb', '#ca8a04'];

export function serviceColor(service: string, services: readonly string[]): string {
  const i = services.indexOf(service);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length] ?? '#4f46e5';
}

export interface SpanRow {
  span: TraceSpan;
  depth: number;
  hasChildren: boolean;
}

/** Spans in tree order (each child under its parent, siblings by start time), skipping collapsed subtrees. */
export function spanRows(spans: readonly TraceSpan[], collapsed: ReadonlySet<string>): SpanRow[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  const byStart = (a: TraceSpan, b: TraceSpan) => a.startMs - b.startMs || (a.kind === 'server' ? -1 : 1);
  const rows: SpanRow[] = [];
  const visit = (s: TraceSpan, depth: number) => {
    const kids = (children.get(s.spanId) ?? []).sort(byStart);
    rows.push({ span: s, depth, hasChildren: kids.length > 0 });
    if (!collapsed.has(s.spanId)) for (const k of kids) visit(k, depth + 1);
  };
  for (const r of roots.sort(byStart)) visit(r, 0);
  return rows;
}

export function retryAttempt(s: TraceSpan): number {
  const n = Number(s.attributes['retry.attempt'] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Where a span's duration is written, in percent of the track: after its bar, before it when the bar
 * ends near the right edge, and inside its right end when the bar spans most of the track (a root
 * span): written before such a bar it would run out of the track over the span's name.
 */
export function durationPlace(left: number, width: number): 'after' | 'before' | 'inside' {
  if (left + width <= 80) return 'after';
  return left >= 20 ? 'before' : 'inside';
}

function durationStyle(left: number, width: number): { left: string } | { right: string } {
  const place = durationPlace(left, width);
  if (place === 'after') return { left: `${left + width + 0.5}%` };
  return { right: `${place === 'before' ? 100 - left + 0.5 : 100 - left - width + 0.5}%` };
}

/** The trace as a waterfall: one row per span, bars on a shared time axis, errors and retries marked. */
export function Waterfall({ spans, selected, onSelect }: { spans: readonly TraceSpan[]; selected: string | null; onSelect: (spanId: string) => void }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const total = Math.max(end - start, 0.001);
  const services = useMemo(() => [...new Set([...spans].sort((a, b) => a.startMs - b.startMs).map((s) => s.service))], [spans]);
  const rows = spanRows(spans, collapsed);
  const ticks = [0, 0.25, 0.5, 0.75, 1];

  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="waterfall" data-testid="waterfall" role="tree" aria-label="Spans of this trace">
      <div className="wf-head">
        <div>Service · operation</div>
        <div className="wf-ticks">
          {ticks.map((t) => (
            <span key={t} style={{ left: `${t * 96 + 2}%` }}>
              {t === 0 ? '0' : fmtMs(total * t)}
            </span>
          ))}
        </div>
      </div>
      {rows.map(({ span: s, depth, hasChildren }) => {
        const left = ((s.startMs - start) / total) * 96 + 2;
        const width = Math.max((s.durationMs / total) * 96, 0.3);
        const attempt = retryAttempt(s);
        const color = serviceColor(s.service, services);
        return (
          <div
            key={s.spanId}
            className={`wf-row ${selected === s.spanId ? 'selected' : ''}`}
            role="treeitem"
            aria-level={depth + 1}
            aria-selected={selected === s.spanId}
            aria-expanded={hasChildren ? !collapsed.has(s.spanId) : undefined}
            tabIndex={0}
            data-testid="span-row"
            data-service={s.service}
            data-error={s.error ? 'true' : 'false'}
            onClick={() => onSelect(s.spanId)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(s.spanId);
              } else if ((e.key === 'ArrowLeft' && !collapsed.has(s.spanId)) || (e.key === 'ArrowRight' && collapsed.has(s.spanId))) {
                if (hasChildren) toggle(s.spanId);
              } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const sibling = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling;
                if (sibling instanceof HTMLElement && sibling.classList.contains('wf-row')) sibling.focus();
              }
            }}
          >
            <div className="wf-label" style={{ paddingLeft: 10 + depth * 16 }}>
              {hasChildren ? (
                <button
                  type="button"
                  className="wf-toggle"
                  tabIndex={-1}
                  aria-label={collapsed.has(s.spanId) ? 'Expand' : 'Collapse'}
                  onClick={(e) => {
                    e.stopPropagation();
                    toggle(s.spanId);
                  }}
                >
                  {collapsed.has(s.spanId) ? '▶' : '▼'}
                </button>
              ) : (
                <span className="wf-toggle" />
              )}
              <span className="dot" style={{ background: color }} />
              <span className="svc" title={s.service}>
                {s.service}
              </span>
              <span className={`kind-tag kind-${s.kind}`}>{s.kind}</span>
              <span className="name mono" title={spanLabel(s.name, s.attributes)}>
                {spanLabel(s.name, s.attributes)}
              </span>
              {attempt > 0 ? (
                <Badge tone="warn" testId="retry-badge">
                  retry #{attempt}
                </Badge>
              ) : null}
              {s.attributes.rate_limited === true || s.attributes.rate_limited === 'true' ? <Badge tone="warn">rate limited</Badge> : null}
              {s.error ? <Badge tone="bad">{s.status || 'error'}</Badge> : null}
            </div>
            <div className="wf-track">
              {ticks.map((t) => (
                <span key={t} className="wf-grid" style={{ left: `${t * 96 + 2}%` }} />
              ))}
              <span className={`wf-bar ${s.error ? 'error' : ''}`} style={{ left: `${left}%`, width: `${width}%`, background: color, opacity: s.kind === 'client' ? 0.6 : 0.95 }} />
              <span className={`wf-dur ${durationPlace(left, width) === 'inside' ? 'inside' : ''}`} style={durationStyle(left, width)}>
                {fmtMs(s.durationMs)}
              </span>
            </div>
          </div>
        );
      })}
    </div>
  );
}
