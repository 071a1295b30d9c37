'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { describeTarget, formatIssues, resourceSchemas, type FieldError } from '@trellis/shared';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { editable, type Change } from '@/lib/diff';
import { apiError } from '@/lib/errors';
import { fmtDateTime } from '@/lib/format';
import { getAt, setAt, within } from '@/lib/paths';
import { resourceRefusal, writableNamespaces, writeRefusal } from '@/lib/permissions';
import { KIND_INFO, inSentence, summarize, template, type EditableKind } from '@/lib/policies';
import { toast } from '@/lib/toast';
import { useTRPC } from '@/lib/trpc';
import { editorHref } from '../canary/CanaryControl';
import { useMe } from '../Providers';
import { Badge, Button, Card, Dialog, ErrorState, Loading, PageHeader, Tabs } from '../ui';
import { DiffView } from './DiffView';
import { YamlDiff } from './YamlDiff';
import { FormContext, fieldTestId, type FormApi } from './fields';
import { PolicyForm } from './forms';
import { History } from './History';
import { Rollout } from './Rollout';
import { YamlEditor } from './YamlEditor';

type Draft = Record<string, unknown>;
type Tab = 'form' | 'yaml' | 'history';

function validate(kind: EditableKind, draft: Draft): FieldError[] {
  const result = resourceSchemas[kind].safeParse(draft);
  return result.success ? [] : formatIssues(result.error.issues);
}

/**
 * One policy: a form validated with the server's own zod schema, the same resource as YAML, a diff
 * before saving, history with rollback, and the rollout to the proxies after a save. With no name it
 * creates a new policy of `kind` (target from the URL).
 */
export function PolicyEditor({
  kind,
  name,
  namespace: asked,
  initialTarget,
  initialRevision,
}: {
  kind: EditableKind;
  name?: string;
  namespace: string;
  initialTarget?: string;
  /** Open History at this revision (the link in a save's toast). */
  initialRevision?: number;
}) {
  const trpc = useTRPC();
  const me = useMe();
  // An editor limited to some namespaces starts a new policy in one of theirs.
  const writable = writableNamespaces(me);
  const namespace = !name && writable && !writable.includes(asked) ? (writable[0] ?? asked) : asked;
  const router = useRouter();
  const queryClient = useQueryClient();
  const creating = !name;
  const loaded = useQuery(trpc.resources.get.queryOptions({ kind, name: name ?? '', namespace }, { enabled: !creating, retry: false, refetchInterval: 5000 }));
  const services = useQuery(trpc.services.list.queryOptions(undefined, { staleTime: 10_000 }));

  const [draft, setDraft] = useState<Draft | null>(() => (creating ? (template(kind, initialTarget ?? '', namespace) as Draft) : null));
  const [base, setBase] = useState<{ version: string | undefined; content: string } | null>(null);
  const [tab, setTab] = useState<Tab>(initialRevision !== undefined && name ? 'history' : 'form');
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldError[]>([]);
  const [review, setReview] = useState<{ changes: Change[]; outcome: string } | null>(null);
  const [note, setNote] = useState('');
  const [conflict, setConflict] = useState(false);
  const [fastRollout, setFastRollout] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  /** The control plane's refusal of a save (403), said as it said it: the role changed, or the page is stale. */
  const [refused, setRefused] = useState<string | null>(null);
  /** YAML in the editor that does not parse: the form still holds the last valid draft, which must not pass for "no changes". */
  const [yamlError, setYamlError] = useState<string | null>(null);

  // Take the loaded resource as the starting point (and again after a save or rollback).
  const serverVersion = loaded.data?.metadata.resourceVersion;
  useEffect(() => {
    if (!loaded.data || (base && base.version === serverVersion)) return;
    // Someone else's newer revision replaces the draft only while it has no unsaved edits.
    if (!base || !draft || JSON.stringify(draft) === base.content) {
      setDraft(editable(loaded.data));
      setBase({ version: serverVersion, content: JSON.stringify(editable(loaded.data)) });
    }
  }, [loaded.data, serverVersion, base, draft]);

  useEffect(() => {
    if (!fastRollout) return;
    const t = setTimeout(() => setFastRollout(false), 30_000);
    return () => clearTimeout(t);
  }, [fastRollout]);

  const clientErrors = useMemo(() => (draft ? validate(kind, draft) : []), [kind, draft]);
  const dirty = !!draft && (creating || (!!base && JSON.stringify(draft) !== base.content));
  const staleBase = !!base && !!serverVersion && base.version !== serverVersion;

  const set = useCallback((path: string, value: unknown) => {
    setDraft((d) => (d ? setAt(d, path, value) : d));
    setTouched((t) => new Set(t).add(path));
    setServerErrors((errs) => errs.filter((e) => !within(e.path, path) && !within(path, e.path)));
  }, []);

  const api: FormApi | null = draft
    ? {
        draft,
        set,
        touch: (path) => setTouched((t) => (t.has(path) ? t : new Set(t).add(path))),
        error: (path, nested) => {
          const match = (e: FieldError) => (nested ? within(e.path, path) : e.path === path);
          const server = serverErrors.find(match);
          if (server) return server.message;
          const visible = showAll || [...touched].some((t) => within(path, t) || within(t, path));
          return visible ? clientErrors.find(match)?.message : undefined;
        },
        services: (services.data ?? []).map((s) => ({ name: s.name, namespace: s.namespace, routes: s.routes.map((r) => r.name) })),
        creating,
      }
    : null;

  const upsert = useMutation(trpc.resources.upsert.mutationOptions());
  const remove = useMutation(trpc.resources.delete.mutationOptions());

  const payload = () => {
    const d = draft ?? {};
    const metadata = { ...((d.metadata as Record<string, unknown> | undefined) ?? {}) };
    if (!creating && base?.version) metadata.resourceVersion = base.version;
    return { ...d, metadata };
  };

  const handleError = (error: unknown) => {
    const info = apiError(error);
    if (info.code === 'FORBIDDEN') {
      setReview(null);
      setRefused(info.message);
      // Ask again who we are: the role changed, so the editor shows what may still be done (the draft stays).
      router.refresh();
    } else if (info.code === 'CONFLICT') {
      setReview(null);
      setConflict(true);
    } else if (info.fieldErrors.length) {
      setReview(null);
      setServerErrors(info.fieldErrors);
      setShowAll(true);
      setTab('form');
      toast('The control plane refused some fields; see the messages at the fields.', 'error');
    } else {
      toast(`Could not save: ${info.message}`, 'error');
    }
  };

  const startReview = async () => {
    if (clientErrors.length > 0) {
      setShowAll(true);
      setTab('form');
      requestAnimationFrame(() => {
        const first = clientErrors[0];
        const el = first ? document.querySelector<HTMLElement>(`[data-testid="${fieldTestId(first.path)}"]`) : null;
        el?.focus();
      });
      return;
    }
    try {
      const result = await upsert.mutateAsync({ resource: payload(), dryRun: true });
      setNote('');
      setReview({ changes: result.changes, outcome: result.outcome });
    } catch (error) {
      handleError(error);
    }
  };

  const save = async () => {
    try {
      const result = await upsert.mutateAsync({ resource: payload(), ...(note.trim() ? { note: note.trim() } : {}) });
      setReview(null);
      setShowAll(false);
      setTouched(new Set());
      setFastRollout(true);
      const saved = result.resource;
      const content = JSON.stringify(editable(saved));
      setBase({ version: saved.metadata.resourceVersion, content });
      setDraft(editable(saved));
      await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
      const revision = saved.metadata.resourceVersion ?? '?';
      if (result.outcome === 'unchanged') toast('No changes to save.');
      else {
        toast(`Saved ${saved.metadata.name} as revision ${revision}. Pushing to the proxies…`, 'info', {
          link: { href: `${editorHref(saved)}?tab=history&revision=${revision}`, label: `See revision ${revision}` },
          warnings: result.warnings,
        });
      }
      if (creating) router.replace(editorHref(saved));
    } catch (error) {
      handleError(error);
    }
  };

  const reload = async () => {
    setConflict(false);
    setServerErrors([]);
    setBase(null);
    setDraft(null);
    await loaded.refetch();
  };

  if (!creating && loaded.isLoading) return <Loading label="Loading policy…" />;
  if (!creating && loaded.error) {
    return (
      <div className="page">
        <PageHeader title={`${KIND_INFO[kind].label} ${name ?? ''}`} actions={<Link href={`/policies?kind=${kind}`}>← {KIND_INFO[kind].plural}</Link>} />
        <ErrorState title={apiError(loaded.error).code === 'NOT_FOUND' ? 'This policy does not exist (any more)' : 'Could not load this policy'} error={loaded.error} onRetry={() => void loaded.refetch()} />
      </div>
    );
  }
  if (!draft || !api) return <Loading />;

  // Viewers see the editor read-only, with the reason; so does an editor outside their namespaces (where
  // the policy lives as stored, or where the draft would take effect).
  const readOnly = (!creating ? (resourceRefusal(me, loaded.data) ?? writeRefusal(me, namespace)) : null) ?? resourceRefusal(me, draft);
  const target = (getAt(draft, 'spec.targetRef.name') as string | undefined) ?? '';
  const targetNs = (getAt(draft, 'spec.targetRef.namespace') as string | undefined) ?? (getAt(draft, 'metadata.namespace') as string | undefined) ?? 'default';
  // AuthorizationPolicy and MutualTLSPolicy may apply to a whole namespace or the mesh.
  const scope = (getAt(draft, 'spec.targetRef.kind') as string | undefined) ?? 'Service';
  const title = creating ? `New ${inSentence(KIND_INFO[kind].label)}` : (name ?? '');

  return (
    <div className="page" data-testid="policy-editor" data-kind={kind}>
      <PageHeader
        title={
          <>
            {title} <Badge tone="accent">{kind}</Badge>
          </>
        }
        subtitle={
          <>
            {KIND_INFO[kind].blurb}{' '}
            {scope !== 'Service' ? (
              <>Applies to {scope === 'Mesh' ? 'the whole mesh' : describeTarget({ kind: scope, name: target })}.</>
            ) : target ? (
              <>
                Targets <Link href={`/graph?sel=node:${encodeURIComponent(`${target}.${targetNs}`)}`}>{target}</Link>.
              </>
            ) : null}
          </>
        }
        actions={
          <>
            <Link href={`/policies?kind=${kind}`}>← {KIND_INFO[kind].plural}</Link>
            {!creating ? (
              <Button variant="danger" size="sm" onClick={() => setConfirmDelete(true)} disabled={!!readOnly} title={readOnly ?? undefined} data-testid="policy-delete">
                Delete
              </Button>
            ) : null}
          </>
        }
      />
      {readOnly ? (
        <div className="banner banner-info inline-banner" role="status" data-testid="read-only-reason">
          <strong>Read-only.</strong> {readOnly}
        </div>
      ) : null}
      {refused ? (
        <div className="banner banner-error inline-banner" role="alert" data-testid="save-refused">
          <strong>The control plane refused this change.</strong> {refused.charAt(0).toUpperCase() + refused.slice(1)}.
        </div>
      ) : null}
      {conflict ? (
        <div className="banner banner-warn" role="alert" style={{ borderRadius: 8, border: '1px solid #fedf89', marginBottom: 16 }} data-testid="conflict-banner">
          <strong>Changed by someone else.</strong> This policy was saved by someone else after you opened it, so your save was refused to keep their change. <Button size="sm" onClick={() => void reload()} data-testid="conflict-reload">Reload their version</Button>
        </div>
      ) : staleBase && dirty ? (
        <div className="banner banner-info" role="status" style={{ borderRadius: 8, border: '1px solid #c7d2fe', marginBottom: 16 }}>
          A newer revision ({serverVersion}) was saved while you were editing. Saving will be refused; <button type="button" className="btn-ghost" style={{ all: 'unset', color: 'var(--accent)', cursor: 'pointer' }} onClick={() => void reload()}>reload it</button> first.
        </div>
      ) : null}
      <div className="grid-2">
        <div style={{ minWidth: 0 }}>
          <Tabs
            tabs={[
              { value: 'form', label: 'Form' },
              { value: 'yaml', label: 'YAML' },
              ...(creating ? [] : [{ value: 'history' as const, label: 'History' }]),
            ]}
            value={tab}
            onChange={setTab}
            testId="editor-tabs"
          />
          {tab === 'history' && name ? (
            <History kind={kind} name={name} namespace={namespace} current={loaded.data} initialRevision={initialRevision} onRolledBack={() => void reload()} readOnly={readOnly} />
          ) : (
            <>
              {showAll && clientErrors.length > 0 ? (
                <div className="form-errors" role="alert" data-testid="form-errors" style={{ marginBottom: 14 }}>
                  <strong>Nothing was saved.</strong> Fix {clientErrors.length === 1 ? 'this field' : `these ${clientErrors.length} fields`} first:
                  <ul>
                    {clientErrors.map((e) => (
                      <li key={`${e.path}:${e.message}`}>
                        <span className="mono">{e.path}</span>: {e.message}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
              {/* A disabled fieldset disables every field in it: the form stays readable, nothing can change. */}
              <fieldset className="plain-fieldset" disabled={!!readOnly}>
                <FormContext.Provider value={api}>{tab === 'form' ? <PolicyForm kind={kind} /> : <YamlEditor kind={kind} value={draft} onChange={(next) => setDraft(next)} onSyntaxError={setYamlError} readOnly={!!readOnly} />}</FormContext.Provider>
              </fieldset>
              <div className="editor-footer">
                <Button variant="primary" onClick={() => void startReview()} disabled={(!dirty && !creating) || upsert.isPending || !!readOnly || (tab === 'yaml' && !!yamlError)} title={readOnly ?? undefined} data-testid="review-save">
                  {upsert.isPending && !review ? 'Checking…' : creating ? 'Review & create' : 'Review & save'}
                </Button>
                <Button
                  onClick={() => {
                    setDraft(creating ? (template(kind, initialTarget ?? '', namespace) as Draft) : base ? (JSON.parse(base.content) as Draft) : draft);
                    setTouched(new Set());
                    setShowAll(false);
                    setServerErrors([]);
                  }}
                  disabled={!dirty}
                  data-testid="discard"
                >
                  Discard changes
                </Button>
                <span className="hint" data-testid="dirty-state">
                  {tab === 'yaml' && yamlError ? 'The YAML does not parse: fix it to go on' : dirty ? (clientErrors.length ? `${clientErrors.length} problem${clientErrors.length === 1 ? '' : 's'} to fix` : 'Unsaved changes') : 'No changes'}
                </span>
              </div>
            </>
          )}
        </div>
        <div>
          {target || scope === 'Mesh' ? <Rollout target={target} namespace={targetNs} scope={scope} fast={fastRollout} /> : null}
          {!creating && loaded.data ? (
            <Card title="Current revision">
              <div className="kv">
                <div className="kv-row">
                  <dt>Revision</dt>
                  <dd data-testid="current-revision">{loaded.data.metadata.resourceVersion}</dd>
                </div>
                <div className="kv-row">
                  <dt>Created</dt>
                  <dd>{loaded.data.metadata.creationTimestamp ? fmtDateTime(loaded.data.metadata.creationTimestamp) : '–'}</dd>
                </div>
                <div className="kv-row">
                  <dt>In effect</dt>
                  <dd>{summarize(kind, loaded.data.spec as Record<string, unknown>)}</dd>
                </div>
              </div>
            </Card>
          ) : null}
        </div>
      </div>

      <Dialog
        open={!!review}
        onClose={() => setReview(null)}
        title={creating ? 'Create this policy?' : 'Review changes'}
        testId="review-dialog"
        wide
        footer={
          <>
            <Button onClick={() => setReview(null)}>Back to editing</Button>
            <Button variant="primary" onClick={() => void save()} disabled={upsert.isPending || review?.outcome === 'unchanged'} data-testid="confirm-save">
              {upsert.isPending ? 'Saving…' : creating ? 'Create' : 'Save'}
            </Button>
          </>
        }
      >
        {review?.outcome === 'unchanged' ? (
          <p>The control plane already has exactly this. Nothing to save.</p>
        ) : (
          <>
            {review?.outcome === 'created' ? (
              <p style={{ marginTop: 0 }}>This creates the policy below (checked by the control plane, not yet saved):</p>
            ) : (
              <>
                <p style={{ marginTop: 0 }}>
                  {review?.changes.length ?? 0} field{review?.changes.length === 1 ? '' : 's'} change (checked by the control plane, not yet saved):
                </p>
                <DiffView changes={review?.changes ?? []} testId="review-diff" />
              </>
            )}
            <YamlDiff before={review?.outcome === 'created' || !base ? null : JSON.parse(base.content)} after={draft} testId="review-yaml" />
            <div className="field" style={{ marginTop: 14 }}>
              <label htmlFor="change-note">Note for the history (optional)</label>
              <input id="change-note" className="input" value={note} onChange={(e) => setNote(e.target.value)} placeholder="Why this change?" maxLength={2000} data-testid="change-note" />
            </div>
          </>
        )}
      </Dialog>

      <Dialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={`Delete ${name ?? ''}?`}
        testId="delete-dialog"
        footer={
          <>
            <Button onClick={() => setConfirmDelete(false)}>Cancel</Button>
            <Button
              variant="danger"
              disabled={remove.isPending}
              data-testid="confirm-delete"
              onClick={() =>
                remove.mutate(
                  { kind, name: name ?? '', namespace, ...(base?.version ? { resourceVersion: base.version } : {}) },
                  {
                    onSuccess: async () => {
                      await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
                      toast(`Deleted ${name ?? ''}. Its history is kept.`);
                      router.push(`/policies?kind=${kind}`);
                    },
                    onError: (error) => {
                      setConfirmDelete(false);
                      handleError(error);
                    },
                  },
                )
              }
            >
              Delete
            </Button>
          </>
        }
      >
        <p style={{ margin: 0 }}>The proxies stop applying it within seconds. The revision history stays, so it can be recreated from there.</p>
      </Dialog>
    </div>
  );
}
