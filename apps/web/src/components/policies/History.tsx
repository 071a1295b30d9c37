'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { diffValues, editable } from '@/lib/diff';
import { apiError } from '@/lib/errors';
import { fmtAgo, fmtDateTime } from '@/lib/format';
import { toast } from '@/lib/toast';
import { useTRPC, type Revision } from '@/lib/trpc';
import { Badge, Button, Card, Dialog, Empty, ErrorState, Loading } from '../ui';
import { DiffView } from './DiffView';
import { YamlDiff } from './YamlDiff';

const ACTION_TONE: Record<Revision['action'], 'ok' | 'accent' | 'bad' | 'warn'> = { CREATE: 'ok', UPDATE: 'accent', DELETE: 'bad', ROLLBACK: 'warn' };

/** Every revision of one resource (who, when, what changed), and rollback to any of them (unless `readOnly` says why not). */
export function History({
  kind,
  name,
  namespace,
  current,
  onRolledBack,
  readOnly = null,
  initialRevision,
}: {
  kind: string;
  name: string;
  namespace: string;
  current: unknown;
  onRolledBack: () => void;
  readOnly?: string | null;
  initialRevision?: number;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = { kind, name, namespace };
  const history = useQuery(trpc.resources.history.queryOptions(ref, { refetchInterval: 5000 }));
  const [selected, setSelected] = useState<number | null>(initialRevision ?? null);
  const [confirm, setConfirm] = useState<Revision | null>(null);
  const rollback = useMutation(
    trpc.resources.rollback.mutationOptions({
      onSuccess: async (result, vars) => {
        setConfirm(null);
        await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
        toast(result.outcome === 'unchanged' ? `Already as in revision ${vars.to}; nothing to roll back.` : `Rolled back to revision ${vars.to} (now revision ${result.resource.metadata.resourceVersion}).`);
        onRolledBack();
      },
      onError: (error) => toast(`Rollback failed: ${apiError(error).message}`, 'error'),
    }),
  );

  if (history.isLoading) return <Loading label="Loading history…" />;
  if (history.error && !history.data) return <ErrorState error={history.error} onRetry={() => void history.refetch()} />;
  const revisions = history.data ?? [];
  if (revisions.length === 0) return <Empty title="No history yet">Revisions appear here once the policy is saved.</Empty>;
  const newest = revisions[0]?.revision;
  const shown = revisions.find((r) => r.revision === (selected ?? newest));

  return (
    <div className="grid-2" style={{ gridTemplateColumns: 'minmax(0, 1fr) minmax(0, 1.3fr)' }} data-testid="history">
      <Card title={`Revisions · ${revisions.length}`} className="flush">
        <div role="listbox" aria-label="Revisions">
          {revisions.map((r) => (
            <div
              key={r.revision}
              role="option"
              tabIndex={0}
              aria-selected={r.revision === shown?.revision}
              className={`revision ${r.revision === shown?.revision ? 'selected' : ''}`}
              onClick={() => setSelected(r.revision)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  setSelected(r.revision);
                }
              }}
              data-testid="revision"
              data-revision={r.revision}
            >
              <span className="rev">#{r.revision}</span>
              <div style={{ minWidth: 0 }}>
                <div className="revision-head">
                  <Badge tone={ACTION_TONE[r.action]}>{r.action.toLowerCase()}</Badge>
                  <span className="hint" title={fmtDateTime(r.createdAt)}>
                    {fmtAgo(r.createdAt)}
                  </span>
                </div>
                <div style={{ marginTop: 2 }}>
                  by <strong data-testid="revision-author">{r.author}</strong>
                </div>
                {r.note ? <div className="hint" style={{ overflow: 'hidden', textOverflow: 'ellipsis' }} data-testid="revision-note">{r.note}</div> : null}
              </div>
            </div>
          ))}
        </div>
      </Card>
      {shown ? (
        <Card
          title={`Revision #${shown.revision} · ${fmtDateTime(shown.createdAt)}`}
          actions={
            shown.revision !== newest && shown.after ? (
              <Button size="sm" onClick={() => setConfirm(shown)} disabled={!!readOnly} title={readOnly ?? undefined} data-testid="rollback-open">
                Roll back to #{shown.revision}
              </Button>
            ) : shown.revision === newest ? (
              <Badge tone="ok">current</Badge>
            ) : null
          }
        >
          <div className="hint" style={{ marginBottom: 8 }}>
            What this revision changed:
          </div>
          <DiffView changes={diffValues(shown.before ? editable(shown.before).spec : {}, shown.after ? editable(shown.after).spec : {}, ['spec'])} testId="revision-diff" />
        </Card>
      ) : null}
      <Dialog
        open={!!confirm}
        onClose={() => setConfirm(null)}
        title={`Roll back to revision #${confirm?.revision ?? ''}?`}
        testId="rollback-dialog"
        wide
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button variant="primary" disabled={rollback.isPending} onClick={() => confirm && rollback.mutate({ ...ref, to: confirm.revision })} data-testid="rollback-confirm">
              {rollback.isPending ? 'Rolling back…' : 'Roll back'}
            </Button>
          </>
        }
      >
        <p style={{ marginTop: 0 }}>This writes a new revision that makes the policy what it was after #{confirm?.revision}. The proxies get it within seconds.</p>
        <DiffView changes={confirm ? diffValues(editable(current).spec, editable(confirm.after).spec, ['spec']) : []} testId="rollback-diff" />
        {confirm ? <YamlDiff before={editable(current)} after={{ ...editable(current), spec: editable(confirm.after).spec }} testId="rollback-yaml" /> : null}
      </Dialog>
    </div>
  );
}
