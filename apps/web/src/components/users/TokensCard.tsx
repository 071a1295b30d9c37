'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { apiError } from '@/lib/errors';
import { fmtDateTime } from '@/lib/format';
import { toast } from '@/lib/toast';
import { useTRPC } from '@/lib/trpc';
import { Badge, Button, Card, Dialog, Empty, ErrorState, Loading } from '../ui';
import { NamespacesInput, RoleSelect, ShownOnce, parseNamespaces, type RoleValue } from './fields';

const LIFETIMES = [
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
  { label: 'until revoked', seconds: 0 },
] as const;

/** API tokens: the ones with their own role (scripts, CI) and people's own `trellis login` tokens. */
export function TokensCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: async (t) => {
        toast(`Revoked ${t.name}: its next call fails.`);
        await queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });
      },
      onError: (e) => toast(apiError(e).message, 'error'),
    }),
  );
  return (
    <Card
      title="API tokens"
      testId="tokens"
      actions={
        <Button size="sm" variant="primary" onClick={() => setCreating(true)} data-testid="create-token">
          Create token
        </Button>
      }
    >
      {tokens.isLoading ? <Loading /> : tokens.error ? <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} /> : null}
      {tokens.data?.length === 0 ? <Empty title="No API tokens">Scripts and CI use one as TRELLIS_TOKEN or Authorization: Bearer.</Empty> : null}
      {tokens.data?.length ? (
        <div className="table-wrap">
          <table className="table stack-narrow">
            <thead>
              <tr>
                <th>Name</th>
                <th>Acts as</th>
                <th>Token</th>
                <th>Expires</th>
                <th>Last used</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid="token-row" data-name={t.name}>
                  <td>{t.name}</td>
                  <td data-label="Acts as">
                    {t.user ? (
                      <span>
                        <span className="mono">{t.user}</span> <span className="hint">(their login)</span>
                      </span>
                    ) : (
                      <Badge tone="neutral">
                        {t.role}
                        {t.namespaces.length ? ` · ${t.namespaces.join(', ')}` : ''}
                      </Badge>
                    )}
                  </td>
                  <td data-label="Token" className="mono">{t.prefix}…</td>
                  <td data-label="Expires" className="nowrap">{t.expiresAt ? fmtDateTime(String(t.expiresAt)) : 'never'}</td>
                  <td data-label="Last used" className="nowrap">{t.lastUsedAt ? fmtDateTime(String(t.lastUsedAt)) : '–'}</td>
                  <td className="row-actions">
                    <Button size="sm" variant="danger" onClick={() => revoke.mutate({ id: t.id })} disabled={revoke.isPending} data-testid="revoke-token">
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {creating ? <CreateTokenDialog onClose={() => setCreating(false)} /> : null}
    </Card>
  );
}

function CreateTokenDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<RoleValue>('viewer');
  const [namespaces, setNamespaces] = useState('');
  const [lifetime, setLifetime] = useState<number>(LIFETIMES[1].seconds);
  const [problem, setProblem] = useState<string | null>(null);
  const create = useMutation(trpc.tokens.create.mutationOptions());
  const created = create.data;
  return (
    <Dialog
      open
      onClose={onClose}
      title={created ? `Token “${created.name}”` : 'Create an API token'}
      testId="token-dialog"
      footer={
        created ? (
          <Button variant="primary" onClick={onClose} data-testid="token-done">
            Done
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button
              variant="primary"
              disabled={create.isPending || !name.trim()}
              data-testid="confirm-token"
              onClick={() => {
                setProblem(null);
                create.mutate(
                  { name, role, namespaces: role === 'editor' ? parseNamespaces(namespaces) : [], ...(lifetime ? { ttlSeconds: lifetime } : {}) },
                  {
                    onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() }),
                    onError: (e) => setProblem(apiError(e).fieldErrors.map((f) => `${f.path}: ${f.message}`).join('; ') || apiError(e).message),
                  },
                );
              }}
            >
              Create
            </Button>
          </>
        )
      }
    >
      {created ? (
        <ShownOnce label="Copy it now: it is shown only this once. Scripts send it as TRELLIS_TOKEN or Authorization: Bearer." value={created.token} testId="new-token" />
      ) : (
        <div className="stack">
          <div className="field">
            <label htmlFor="token-name">Name</label>
            <input id="token-name" className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. deploy pipeline" data-testid="token-name" />
          </div>
          <div className="field">
            <label htmlFor="token-role">Role</label>
            <RoleSelect id="token-role" value={role} onChange={setRole} testId="token-role" />
          </div>
          {role === 'editor' ? <NamespacesInput id="token-namespaces" value={namespaces} onChange={setNamespaces} testId="token-namespaces" /> : null}
          <div className="field">
            <label htmlFor="token-lifetime">Expires after</label>
            <select id="token-lifetime" className="select" value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))} data-testid="token-lifetime">
              {LIFETIMES.map((l) => (
                <option key={l.label} value={l.seconds}>
                  {l.label}
                </option>
              ))}
            </select>
          </div>
          {problem ? (
            <div className="form-errors" role="alert">
              {problem}
            </div>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}
