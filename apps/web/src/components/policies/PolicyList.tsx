'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { describeTarget } from '@trellis/shared';
import { EDITABLE_KINDS, KIND_INFO, inSentence, isEditableKind, summarize, type EditableKind } from '@/lib/policies';
import { useTRPC } from '@/lib/trpc';
import { editorHref } from '../canary/CanaryControl';
import { Icon } from '../icons';
import { Badge, Card, Empty, ErrorState, Loading, PageHeader, Tabs } from '../ui';

export function PolicyList() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const requested = params.get('kind') ?? '';
  const kind: EditableKind = isEditableKind(requested) ? requested : 'TrafficSplit';
  const all = useQuery(trpc.resources.list.queryOptions({}, { refetchInterval: 5000 }));
  const counts = new Map<string, number>();
  for (const r of all.data ?? []) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const rows = (all.data ?? []).filter((r) => r.kind === kind).sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));

  return (
    <div className="page" data-testid="policies-page">
      <PageHeader
        title="Policies"
        subtitle="What the proxies enforce, attached to services. Every change is a revision you can diff and roll back."
        actions={
          <Link className="btn btn-primary btn-md" href={`/policies/new?kind=${kind}`} data-testid="new-policy">
            <Icon name="plus" size={14} /> New {inSentence(KIND_INFO[kind].label)}
          </Link>
        }
      />
      <Tabs
        tabs={EDITABLE_KINDS.map((k) => ({
          value: k,
          label: (
            <>
              {KIND_INFO[k].tab ?? KIND_INFO[k].plural} <span className="muted">{counts.get(k) ?? 0}</span>
            </>
          ),
        }))}
        value={kind}
        onChange={(k) => router.replace(`${pathname}?kind=${k}`, { scroll: false })}
        testId="kind-tabs"
      />
      <Card className="flush">
        {all.isLoading ? (
          <Loading label="Loading policies…" />
        ) : all.error && !all.data ? (
          <ErrorState error={all.error} onRetry={() => void all.refetch()} />
        ) : rows.length === 0 ? (
          <Empty title={`No ${inSentence(KIND_INFO[kind].plural)} yet`} testId="policies-empty">
            {KIND_INFO[kind].blurb} <Link href={`/policies/new?kind=${kind}`}>Create one</Link>, or apply YAML with <span className="mono">trellis apply -f</span>.
          </Empty>
        ) : (
          <table className="table stack-narrow" data-testid="policies-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Namespace</th>
                <th>Target</th>
                <th>What it does</th>
                <th className="num">Revision</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const spec = r.spec as Record<string, unknown> & { targetRef?: { kind: string; name?: string; route?: string } };
                return (
                  <tr key={`${r.metadata.namespace}/${r.metadata.name}`} className="clickable" onClick={() => router.push(editorHref(r))} data-testid="policy-row" data-name={r.metadata.name}>
                    <td>
                      <Link href={editorHref(r)} onClick={(e) => e.stopPropagation()}>
                        <strong>{r.metadata.name}</strong>
                      </Link>
                    </td>
                    <td data-label="Namespace">{r.metadata.namespace}</td>
                    <td data-label="Target">
                      {spec.targetRef && spec.targetRef.kind !== 'Service' ? (
                        <span className="muted">{spec.targetRef.kind === 'Mesh' ? 'the whole mesh' : describeTarget(spec.targetRef)}</span>
                      ) : (
                        <>
                          {spec.targetRef?.name}
                          {spec.targetRef?.route ? <span className="muted"> / {spec.targetRef.route}</span> : null}
                        </>
                      )}
                    </td>
                    <td data-label="What it does">{summarize(r.kind, spec)}</td>
                    <td data-label="Revision" className="num">
                      <Badge>{r.metadata.resourceVersion}</Badge>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
