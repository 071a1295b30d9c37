'use client';

import { useQuery } from '@tanstack/react-query';
import { fmtAgo } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { Badge, Card, Loading, SyncBadge } from '../ui';

/**
 * Which proxies a policy on `target` reaches — the target's own (inbound policies such as rate limits)
 * and its callers' (outbound ones such as retries) — and whether each runs the newest config. A policy
 * on a whole namespace (`scope` Namespace, `target` its name) or on the mesh reaches every proxy in it.
 */
export function Rollout({ target, namespace, fast, scope = 'Service' }: { target: string; namespace: string; fast: boolean; scope?: string }) {
  const trpc = useTRPC();
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: fast ? 1000 : 3000 }));
  const graph = useQuery(trpc.graph.get.queryOptions({ windowSeconds: 60 }, { refetchInterval: 10_000 }));
  const id = `${target}.${namespace}`;
  const callers = new Set((graph.data?.edges ?? []).filter((e) => e.destination === id).map((e) => e.source));
  const reaches = (p: { service: string; namespace: string }) =>
    scope === 'Mesh' ? true : scope === 'Namespace' ? p.namespace === target : (p.service === target && p.namespace === namespace) || callers.has(`${p.service}.${p.namespace}`);
  const affected = (proxies.data ?? []).filter((p) => p.connected && reaches(p));
  const what = scope === 'Mesh' ? 'the mesh' : scope === 'Namespace' ? `namespace ${target}` : target;
  const inSync = affected.filter((p) => p.inSync).length;
  const all = affected.length > 0 && inSync === affected.length;
  return (
    <Card
      title="Rollout"
      testId="rollout"
      actions={
        proxies.data ? (
          <span data-testid="rollout-status" data-state={all ? 'in-sync' : affected.length ? 'syncing' : 'none'}>
            {affected.length === 0 ? <Badge tone="muted">no proxies</Badge> : all ? <Badge tone="ok">{`${inSync}/${affected.length} in sync`}</Badge> : <Badge tone="warn">{`${inSync}/${affected.length} in sync`}</Badge>}
          </span>
        ) : null
      }
    >
      {proxies.isLoading ? (
        <Loading />
      ) : affected.length === 0 ? (
        <div className="hint">No connected proxy serves or calls {what} right now.</div>
      ) : (
        <ul className="list" data-testid="rollout-proxies">
          {affected.map((p) => (
            <li key={p.id} data-testid="rollout-proxy" data-in-sync={p.inSync ? 'true' : 'false'}>
              <span className="grow">
                <strong>{p.service}</strong> <span className="muted">{p.instance}</span>
                <div className="hint" style={{ whiteSpace: 'normal' }}>
                  {scope !== 'Service' ? `in ${what}` : p.service === target ? 'enforces inbound' : 'calls ' + target} · config v{p.appliedVersion ?? '–'}
                  {p.desiredVersion !== null && p.desiredVersion !== p.appliedVersion ? ` → v${p.desiredVersion}` : ''} · seen {fmtAgo(p.lastSeen)}
                </div>
                {p.lastError ? <div className="hint" style={{ color: 'var(--bad)' }}>{p.lastError}</div> : null}
              </span>
              <SyncBadge inSync={p.inSync} connected={p.connected} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
