'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { apiError } from '@/lib/errors';
import { fmtDateTime, fmtMs, spanLabel } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { Badge, Card, Empty, ErrorState, KeyValue, Loading, PageHeader, Stat } from '../ui';
import { Waterfall, retryAttempt } from './Waterfall';

export function TracePage({ traceId }: { traceId: string }) {
  const trpc = useTRPC();
  // A trace ID is 32 hexadecimal characters (W3C trace context); anything else is not asked for at all.
  const wellFormed = /^[0-9a-f]{32}$/.test(traceId);
  const q = useQuery(trpc.traces.get.queryOptions({ traceId }, { retry: false, enabled: wellFormed }));
  const [selected, setSelected] = useState<string | null>(null);

  if (!wellFormed) {
    return (
      <div className="page">
        <PageHeader title="Not a trace ID" actions={<Link href="/traces">← All traces</Link>} />
        <Empty title={`“${traceId.slice(0, 80)}” is not a trace ID`} testId="trace-not-found">
          A trace ID is 32 hexadecimal characters, like 4bf92f3577b34da6a3ce929d0e0e4736. Open a trace from the <Link href="/traces">list of traces</Link>, or check the link you followed.
        </Empty>
      </div>
    );
  }
  if (q.isLoading) return <Loading label="Loading trace…" />;
  if (q.error || !q.data) {
    const info = apiError(q.error);
    return (
      <div className="page">
        <PageHeader title="Trace" subtitle={<span className="mono">{traceId}</span>} actions={<Link href="/traces">← All traces</Link>} />
        {info.code === 'NOT_FOUND' ? (
          <Empty title="Trace not found" testId="trace-not-found">
            {info.message}
          </Empty>
        ) : (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        )}
      </div>
    );
  }

  const spans = q.data.spans;
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const services = [...new Set(spans.map((s) => s.service))];
  const errors = spans.filter((s) => s.error).length;
  const retries = spans.filter((s) => retryAttempt(s) > 0).length;
  const root = spans.find((s) => !s.parentSpanId || !spans.some((p) => p.spanId === s.parentSpanId)) ?? spans[0];
  const span = spans.find((s) => s.spanId === selected);

  return (
    <div className="page" data-testid="trace-page">
      <PageHeader
        title={
          <>
            {root?.service} <span className="mono" style={{ fontWeight: 500, fontSize: 15 }}>{root ? spanLabel(root.name, root.attributes) : ''}</span>
          </>
        }
        subtitle={
          <>
            Trace <span className="mono">{traceId}</span> · started {fmtDateTime(start)}
          </>
        }
        actions={<Link href="/traces">← All traces</Link>}
      />
      <div className="stats stats-5" style={{ marginBottom: 16 }}>
        <Stat label="Duration" value={fmtMs(end - start)} testId="trace-duration" />
        <Stat label="Spans" value={spans.length} testId="trace-span-count" />
        <Stat label="Services" value={services.length} hint={services.join(', ')} testId="trace-service-count" />
        <Stat label="Errors" value={errors} tone={errors ? 'failing' : 'healthy'} testId="trace-errors" />
        <Stat label="Retries" value={retries} tone={retries ? 'degraded' : undefined} testId="trace-retries" />
      </div>
      <Waterfall spans={spans} selected={selected} onSelect={setSelected} />
      <Card title={span ? `${span.service} · ${spanLabel(span.name, span.attributes)}` : 'Span details'} className="span-details" testId="span-details">
        {span ? (
          <>
            <KeyValue
              items={[
                ['Kind', <Badge key="k" tone={span.kind === 'server' ? 'ok' : 'accent'}>{span.kind}</Badge>],
                ['Status', span.error ? <Badge key="s" tone="bad">{span.status} error</Badge> : <Badge key="s" tone="ok">{span.status}</Badge>],
                ['Start', `+${fmtMs(span.startMs - start)} (${fmtDateTime(span.startMs)})`],
                ['Duration', fmtMs(span.durationMs)],
                ['Peer', span.peerService ?? '–'],
                ['Span id', <span key="id" className="mono">{span.spanId}</span>],
                ['Parent', <span key="p" className="mono">{span.parentSpanId ?? '–'}</span>],
              ]}
            />
            <div className="section-title">Attributes</div>
            <dl className="attrs">
              {Object.entries(span.attributes).map(([k, v]) => (
                <div key={k} style={{ display: 'contents' }}>
                  <dt>{k}</dt>
                  <dd>{String(v)}</dd>
                </div>
              ))}
            </dl>
          </>
        ) : (
          <div className="hint">Select a span to see its timing and attributes (route, upstream endpoint, retry attempt, subset…).</div>
        )}
      </Card>
    </div>
  );
}
