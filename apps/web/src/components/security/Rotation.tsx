'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { apiError } from '@/lib/errors';
import { fmtAgo } from '@/lib/format';
import type { SecurityOverview } from '@/lib/security';
import { toast } from '@/lib/toast';
import { useTRPC } from '@/lib/trpc';
import { useMe } from '../Providers';
import { Badge, Button, Card, Dialog } from '../ui';

type Phase = SecurityOverview['rotation']['phase'];

const STEPS: { phase: Exclude<Phase, 'idle'>; title: string; says: string }[] = [
  { phase: 'distributing', title: 'The new root joins the trust bundle', says: 'every connected proxy is sent the bundle with both roots; the step ends when all have acknowledged it' },
  { phase: 'reissuing', title: 'Certificates from the new root', says: 'each proxy gets a new certificate; old and new ones are both trusted, so connections keep working' },
  { phase: 'retiring', title: 'The old root leaves the bundle', says: 'the step ends when every proxy has acknowledged the bundle without it' },
];

/**
 * The trust bundle's rotation: where it is and what it waits for, and "Rotate root", which first says
 * what will happen (three steps, each waiting for every connected proxy) and starts only when confirmed.
 */
export function Rotation({ rotation, bundle, connectedProxies, onChanged }: { rotation: SecurityOverview['rotation']; bundle: SecurityOverview['bundle']; connectedProxies: number; onChanged: () => void }) {
  const trpc = useTRPC();
  const me = useMe();
  const [confirm, setConfirm] = useState(false);
  const rotate = useMutation(
    trpc.identity.ca.rotate.mutationOptions({
      onSuccess: () => {
        setConfirm(false);
        toast('Rotation started: the new root is on its way to every proxy.');
        onChanged();
      },
      onError: (error) => {
        setConfirm(false);
        toast(`Could not start the rotation: ${apiError(error).message}`, 'error');
      },
    }),
  );
  const busy = rotation.phase !== 'idle';
  const current = STEPS.findIndex((s) => s.phase === rotation.phase);
  const refusal =
    me && !me.permissions.includes('ca:manage')
      ? `Your role (${me.role}) cannot rotate the mesh CA; ask an admin.`
      : bundle.operatorManaged
        ? 'The CA uses an intermediate the operator brought (--ca-cert); rotate it outside Trellis.'
        : busy
          ? 'A rotation is under way.'
          : null;
  const oldRoots = bundle.roots.filter((r) => r.status === 'active').map((r) => r.id);

  return (
    <Card
      title={
        <>
          Root rotation{' '}
          <Badge tone={busy ? 'warn' : 'neutral'} testId="rotation-phase">
            {rotation.phase}
          </Badge>
        </>
      }
      actions={
        <Button size="sm" onClick={() => setConfirm(true)} disabled={!!refusal} title={refusal ?? 'Move every proxy to a new root, without downtime'} data-testid="rotate-open">
          Rotate root…
        </Button>
      }
      testId="rotation"
    >
      {busy ? (
        <>
          <ol className="sec-steps" data-testid="rotation-steps">
            {STEPS.map((s, i) => (
              <li key={s.phase} className={i < current ? 'done' : i === current ? 'current' : ''} aria-current={i === current ? 'step' : undefined}>
                <strong>{s.title}</strong>
                <div className="hint">{s.says}</div>
              </li>
            ))}
          </ol>
          <div className="hint">
            New root <span className="mono">{rotation.newRoot ?? '–'}</span>
            {rotation.startedAt ? `, started ${fmtAgo(rotation.startedAt)}` : ''}, trust bundle v{rotation.bundleVersion}.
          </div>
          <div className="sec-subtitle">Waiting for</div>
          {rotation.waitingFor.length === 0 ? (
            <div className="hint">Nothing: the next step starts within a second.</div>
          ) : (
            <ul className="plain-rows" data-testid="rotation-waiting">
              {rotation.waitingFor.map((w) => (
                <li key={w.instance}>
                  <strong>{w.instance}</strong> <span className="muted">({w.service}.{w.namespace})</span> <span className="hint">{w.why}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <div className="hint" data-testid="rotation-idle">
          No rotation under way.{rotation.lastCompletedAt ? ` The last one finished ${fmtAgo(rotation.lastCompletedAt)}.` : ' The mesh has kept its first root.'}
        </div>
      )}

      <Dialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title="Rotate the mesh’s root?"
        testId="rotate-dialog"
        footer={
          <>
            <Button onClick={() => setConfirm(false)} data-testid="rotate-cancel">
              Cancel
            </Button>
            <Button variant="primary" onClick={() => rotate.mutate()} disabled={rotate.isPending} data-testid="rotate-confirm">
              {rotate.isPending ? 'Starting…' : 'Rotate root'}
            </Button>
          </>
        }
      >
        <p style={{ marginTop: 0 }}>
          A new root certificate replaces <span className="mono">{oldRoots.join(', ') || 'the current root'}</span>, in three steps that each wait for all{' '}
          {connectedProxies} connected prox{connectedProxies === 1 ? 'y' : 'ies'}. Requests keep flowing throughout.
        </p>
        <ol className="sec-steps">
          {STEPS.map((s) => (
            <li key={s.phase}>
              <strong>{s.title}</strong>
              <div className="hint">{s.says}</div>
            </li>
          ))}
        </ol>
        <p style={{ marginBottom: 0 }}>
          Proxies that are not connected now are not waited for: one that stays away until the old root has left must join again with a new join token; so must a proxy
          joining for the first time with a token made before the rotation (tokens pin the root they were made under).
        </p>
      </Dialog>
    </Card>
  );
}
