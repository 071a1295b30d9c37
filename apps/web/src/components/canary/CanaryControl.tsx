'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { backendVersion, type TrafficSplit } from '@/lib/canary';
import { apiError } from '@/lib/errors';
import { fmtRps } from '@/lib/format';
import { writeRefusal } from '@/lib/permissions';
import { toast } from '@/lib/toast';
import { useTRPC } from '@/lib/trpc';
import { useMe } from '../Providers';
import { Badge, Button, Dialog, Spinner } from '../ui';

export const PRESETS = [0, 10, 25, 50, 100] as const;
const VERSION_COLORS = ['#4f46e5', '#db2777', '#0891b2', '#65a30d', '#d97706'];

/** How long the slider must rest (keyboard, or a click on the track) before its value is saved. */
const SETTLE_MS = 800;

/**
 * Click-to-shift canary for a two-backend TrafficSplit: the first backend is the stable one, the second
 * the canary. Presets save at once; the slider saves once the hand lets go (or the arrow keys rest), so a
 * drag is one revision, not one per step; "Send all to v1" and "Promote" move everything and ask first.
 * Each save carries the resourceVersion it was made from, so a concurrent edit is refused rather than lost.
 */
export function CanaryControl({ split, measured }: { split: TrafficSplit; measured: { version: string; rps: number; share: number }[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const backends = split.spec.backends;
  const stable = backends[0];
  const canary = backends[1];
  const saved = canary?.weight ?? 0;
  const [draft, setDraft] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // While a pointer holds the slider nothing is saved: the value it is released at is.
  const dragging = useRef(false);
  const latest = useRef<number | null>(null);
  const [confirm, setConfirm] = useState<0 | 100 | null>(null);
  const id = `${split.metadata.namespace}-${split.metadata.name}`;
  // Viewers (and editors of other namespaces) see the split and why they cannot shift it.
  const readOnly = writeRefusal(useMe(), split.metadata.namespace ?? 'default');

  const save = useMutation(
    trpc.resources.upsert.mutationOptions({
      onSuccess: async (result, variables) => {
        await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
        const weight = (variables.resource as TrafficSplit).spec.backends[1]?.weight ?? 0;
        setDraft((d) => (d === weight ? null : d));
        // As the policy editors say it: which revision the save made, with a link to it in the split's history.
        const revision = result.resource.metadata.resourceVersion;
        if (result.outcome !== 'unchanged')
          toast(`${canary?.name ?? 'canary'} now gets ${weight}% of ${split.spec.targetRef.name}, as revision ${revision ?? '?'}.`, 'info', {
            ...(revision ? { link: { href: `${editorHref(split)}?tab=history&revision=${revision}`, label: `See revision ${revision}` } } : {}),
            warnings: result.warnings,
          });
      },
      onError: async (error) => {
        const info = apiError(error);
        setDraft(null);
        await queryClient.invalidateQueries({ queryKey: trpc.resources.pathKey() });
        toast(info.code === 'CONFLICT' ? 'Someone else changed this split a moment ago; it has been reloaded — try again.' : `Could not shift the canary: ${info.message}`, 'error');
      },
    }),
  );

  useEffect(() => () => clearTimeout(timer.current), []);

  if (!stable || !canary || backends.length !== 2) {
    return (
      <div className="hint">
        This split has {backends.length} backends; shift it in the <Link href={editorHref(split)}>editor</Link>.
      </div>
    );
  }

  const commit = (weight: number) => {
    clearTimeout(timer.current);
    latest.current = null;
    const w = Math.max(0, Math.min(100, Math.round(weight)));
    setDraft(w);
    if (w === saved && !save.isPending) {
      setDraft(null);
      return;
    }
    save.mutate({
      resource: {
        apiVersion: split.apiVersion,
        kind: split.kind,
        metadata: { name: split.metadata.name, namespace: split.metadata.namespace, resourceVersion: split.metadata.resourceVersion, ...(split.metadata.labels ? { labels: split.metadata.labels } : {}) },
        spec: { ...split.spec, backends: [{ ...stable, weight: 100 - w }, { ...canary, weight: w }] },
      },
      note: `canary ${canary.name} to ${w}%`,
    });
  };

  const shown = draft ?? saved;
  const measuredOf = (b: { name: string; selector: Record<string, string> }) => measured.find((m) => m.version === backendVersion(b));
  const anyMeasured = measured.some((m) => m.rps > 0);

  return (
    <div className="canary" data-testid={`canary-${id}`}>
      {readOnly ? (
        <div className="hint" role="status" data-testid="canary-read-only">
          {readOnly}
        </div>
      ) : null}
      <div className="canary-weights">
        <div>
          <div className="hint">{stable.name} (stable)</div>
          <div className="big" data-testid="canary-stable-weight">
            {100 - shown}%
          </div>
        </div>
        <div className="hint" style={{ alignSelf: 'center' }}>
          {save.isPending ? (
            <span>
              <Spinner size={12} /> saving…
            </span>
          ) : draft !== null ? (
            'not saved yet'
          ) : (
            <Badge tone="ok">saved</Badge>
          )}
        </div>
        <div style={{ textAlign: 'right' }}>
          <div className="hint">{canary.name} (canary)</div>
          <div className="big" data-testid="canary-weight" style={{ color: VERSION_COLORS[1] }}>
            {shown}%
          </div>
        </div>
      </div>
      <input
        type="range"
        min={0}
        max={100}
        step={1}
        value={shown}
        disabled={!!readOnly}
        aria-label={`Share of ${split.spec.targetRef.name} traffic sent to ${canary.name}`}
        aria-valuetext={`${shown}% to ${canary.name}, ${100 - shown}% to ${stable.name}`}
        data-testid="canary-slider"
        onChange={(e) => {
          const w = Number(e.target.value);
          setDraft(w);
          latest.current = w;
          clearTimeout(timer.current);
          if (!dragging.current) timer.current = setTimeout(() => commit(w), SETTLE_MS);
        }}
        onPointerDown={() => {
          dragging.current = true;
          // The release may land outside the slider: listen on the window, once.
          const release = () => {
            window.removeEventListener('pointerup', release);
            window.removeEventListener('pointercancel', release);
            dragging.current = false;
            if (latest.current !== null) commit(latest.current);
          };
          window.addEventListener('pointerup', release);
          window.addEventListener('pointercancel', release);
        }}
      />
      <div className="toolbar" style={{ justifyContent: 'space-between' }}>
        <div className="presets" role="group" aria-label="Canary presets">
          {PRESETS.map((p) => (
            <Button key={p} size="sm" className={shown === p ? 'active' : ''} onClick={() => commit(p)} disabled={!!readOnly} data-testid={`canary-preset-${p}`} aria-pressed={shown === p}>
              {p}%
            </Button>
          ))}
        </div>
        <div className="presets">
          <Button size="sm" onClick={() => setConfirm(0)} disabled={shown === 0 || !!readOnly} data-testid="canary-all-stable" title={`Send all of ${split.spec.targetRef.name}'s traffic to ${stable.name}`}>
            Send all to {backendVersion(stable)}
          </Button>
          <Button size="sm" variant="primary" onClick={() => setConfirm(100)} disabled={shown === 100 || !!readOnly} data-testid="canary-promote" title={`Send all of ${split.spec.targetRef.name}'s traffic to ${canary.name}`}>
            Promote {canary.name}
          </Button>
        </div>
      </div>
      <Dialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm === 0 ? `Send all traffic to ${backendVersion(stable)}?` : `Promote ${canary.name}?`}
        testId="canary-confirm"
        footer={
          <>
            <Button onClick={() => setConfirm(null)} data-testid="canary-confirm-cancel">
              Cancel
            </Button>
            <Button
              variant={confirm === 0 ? 'danger' : 'primary'}
              data-testid="canary-confirm-ok"
              onClick={() => {
                if (confirm !== null) commit(confirm);
                setConfirm(null);
              }}
            >
              {confirm === 0 ? `Send all to ${backendVersion(stable)}` : `Promote ${canary.name}`}
            </Button>
          </>
        }
      >
        <p>
          {split.spec.targetRef.name} now sends {100 - saved}% to {stable.name} and {saved}% to {canary.name}. After this,{' '}
          <strong>
            {confirm === 0 ? `${stable.name} gets 100% and ${canary.name} none` : `${canary.name} gets 100% and ${stable.name} none`}
          </strong>
          , within a second or two of saving.
        </p>
        <p className="hint">
          This saves a new revision of the TrafficSplit {split.metadata.name}; its <Link href={editorHref(split)}>history</Link> can restore any earlier one.
        </p>
      </Dialog>
      <div>
        <div className="section-title" style={{ margin: '4px 0 6px' }}>
          Measured split (last 10 s)
        </div>
        {anyMeasured ? (
          <>
            <div className="split-bar" aria-hidden>
              {measured.map((m, i) => (
                <span key={m.version} style={{ width: `${m.share * 100}%`, background: VERSION_COLORS[i % VERSION_COLORS.length] }} />
              ))}
            </div>
            <div className="split-legend">
              {[stable, canary].map((b, i) => {
                const m = measuredOf(b);
                return (
                  <span key={b.name} data-testid={`canary-measured-${backendVersion(b)}`} data-share={m ? m.share.toFixed(4) : '0'}>
                    <i style={{ background: VERSION_COLORS[i] }} />
                    {backendVersion(b)} {m ? `${Math.round(m.share * 100)}%` : '0%'} <span className="muted">({fmtRps(m?.rps ?? 0)} rps)</span>
                  </span>
                );
              })}
            </div>
          </>
        ) : (
          <div className="hint">No traffic into {split.spec.targetRef.name} in the last 10 s.</div>
        )}
      </div>
    </div>
  );
}

export function editorHref(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `/policies/${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}
