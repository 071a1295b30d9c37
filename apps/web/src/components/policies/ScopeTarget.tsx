'use client';

import { useId } from 'react';
import { getAt } from '@/lib/paths';
import { Section, SelectField, TextField, fieldTestId, useForm } from './fields';

export type ScopeKind = 'Service' | 'Namespace' | 'Mesh';

const SCOPE_LABEL: Record<ScopeKind, string> = {
  Service: 'One service',
  Namespace: 'Every service in a namespace',
  Mesh: 'The whole mesh',
};

/**
 * Name (when creating) and the target of a kind that may also apply to a whole namespace or the mesh
 * (AuthorizationPolicy, MutualTLSPolicy): first what it applies to, then which service or namespace.
 */
export function ScopeTargetSection({ kinds, blurb }: { kinds: readonly ScopeKind[]; blurb: string }) {
  const { draft, services, creating, set } = useForm();
  const id = useId();
  const kind = (getAt(draft, 'spec.targetRef.kind') as string | undefined) ?? 'Service';
  const current = getAt(draft, 'spec.targetRef.name') as string | undefined;
  const policyNs = (getAt(draft, 'metadata.namespace') as string | undefined) || 'default';
  const ns = (getAt(draft, 'spec.targetRef.namespace') as string | undefined) ?? policyNs;
  const names = [...new Set(services.filter((s) => s.namespace === ns).map((s) => s.name))].sort();
  const namespaces = [...new Set([policyNs, ...services.map((s) => s.namespace)])].sort();
  const own = kind === 'Namespace' ? namespaces : names;
  if (current && !own.includes(current)) own.unshift(current);

  // A new kind of target starts from a sensible one: the policy's namespace, or the first service in it.
  const choose = (next: ScopeKind) => {
    if (next === kind) return;
    set('spec.targetRef', next === 'Mesh' ? { kind: 'Mesh' } : next === 'Namespace' ? { kind: 'Namespace', name: policyNs } : { kind: 'Service', name: names[0] ?? '' });
  };

  return (
    <Section title="Target" blurb={blurb}>
      <div className="form-grid">
        {creating ? (
          <>
            <TextField path="metadata.name" label="Name" help="Lowercase letters, digits and “-”." mono />
            <TextField path="metadata.namespace" label="Namespace" mono />
          </>
        ) : null}
        <div className="field">
          <label htmlFor={id}>Applies to</label>
          <select id={id} className="select" value={kind} onChange={(e) => choose(e.target.value as ScopeKind)} data-testid={fieldTestId('spec.targetRef.kind')}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {SCOPE_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        {kind === 'Service' ? (
          <SelectField path="spec.targetRef.name" label="Service" options={own} />
        ) : kind === 'Namespace' ? (
          <SelectField path="spec.targetRef.name" label="Namespace" options={own} help="Every service in it, now and later." />
        ) : (
          <div className="field">
            <span className="label">Scope</span>
            <div className="hint">Every service in every namespace, except where a namespace’s or a service’s own policy says otherwise.</div>
          </div>
        )}
      </div>
    </Section>
  );
}
