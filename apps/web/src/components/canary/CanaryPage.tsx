'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { measuredSplit, splitTarget, type TrafficSplit } from '@/lib/canary';
import { useLiveGraph } from '@/lib/live-graph';
import { useTRPC } from '@/lib/trpc';
import { Card, Empty, ErrorState, Loading, PageHeader } from '../ui';
import { CanaryControl, editorHref } from './CanaryControl';

/** Every TrafficSplit with its click-to-shift control and the split the proxies actually made. */
export function CanaryPage() {
  const trpc = useTRPC();
  const splits = useQuery(trpc.resources.list.queryOptions({ kind: 'TrafficSplit' }, { refetchInterval: 5000 }));
  const { graph } = useLiveGraph(undefined, 10);
  const list = (splits.data ?? []).filter((r): r is TrafficSplit => r.kind === 'TrafficSplit');
  return (
    <div className="page" data-testid="canary-page">
      <PageHeader
        title="Canary"
        subtitle="Shift traffic between versions: presets save at once, the slider when you let go. The measured split follows within seconds."
        actions={
          <Link className="btn btn-md" href="/policies/new?kind=TrafficSplit">
            New traffic split
          </Link>
        }
      />
      {splits.isLoading ? (
        <Loading />
      ) : splits.error && !splits.data ? (
        <ErrorState error={splits.error} onRetry={() => void splits.refetch()} />
      ) : list.length === 0 ? (
        <Empty title="No traffic splits">
          A TrafficSplit sends a share of a service’s requests to another version. <Link href="/policies/new?kind=TrafficSplit">Create one</Link>.
        </Empty>
      ) : (
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(460px, 100%), 1fr))', gap: 16 }}>
          {list.map((s) => {
            const t = splitTarget(s);
            return (
              <Card
                key={`${s.metadata.namespace}/${s.metadata.name}`}
                title={
                  <>
                    {t.name} <span className="muted" style={{ fontWeight: 500 }}>· {s.metadata.name}</span>
                  </>
                }
                actions={
                  <>
                    <Link href={`/graph?sel=node:${encodeURIComponent(`${t.name}.${t.namespace}`)}`}>Graph</Link>
                    <span className="muted">·</span>
                    <Link href={editorHref(s)}>Edit & history</Link>
                  </>
                }
                className="canary-card"
              >
                <CanaryControl split={s} measured={measuredSplit(graph, `${t.name}.${t.namespace}`)} />
              </Card>
            );
          })}
        </div>
      )}
    </div>
  );
}
