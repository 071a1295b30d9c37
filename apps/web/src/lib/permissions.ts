import type { Me } from './session';

/**
 * Why the signed-in person may not change policies in `namespace`, or null when they may. The same rule
 * the control plane enforces (it has the last word: a refusal it sends anyway is shown as it says it).
 */
export function writeRefusal(me: Me | null, namespace: string): string | null {
  if (!me) return null;
  if (!me.permissions.includes('policy:write')) {
    return `Your role (${me.role}) can look but not change policies. Ask an admin for the editor role.`;
  }
  if (me.role !== 'admin' && me.namespaces.length > 0 && !me.namespaces.includes(namespace)) {
    return `You may change policies only in ${me.namespaces.join(', ')}; this one is in ${namespace}.`;
  }
  return null;
}

/**
 * Why the person may not save `resource`, from where it lives and where it takes effect (a Service target
 * in another namespace, a Namespace target, the whole mesh): the control plane's rule, for a reason shown
 * before saving rather than after.
 */
export function resourceRefusal(me: Me | null, resource: unknown): string | null {
  const r = (resource ?? {}) as { metadata?: { namespace?: unknown }; spec?: { targetRef?: { kind?: unknown; name?: unknown; namespace?: unknown } } };
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const home = text(r.metadata?.namespace) ?? 'default';
  const target = r.spec?.targetRef;
  const first = writeRefusal(me, home);
  if (first || !target) return first;
  if (target.kind === 'Mesh') {
    return me && me.role !== 'admin' && me.namespaces.length > 0 ? `A mesh-wide policy changes every namespace; you may change only ${me.namespaces.join(', ')}.` : null;
  }
  return writeRefusal(me, (target.kind === 'Namespace' ? text(target.name) : text(target.namespace)) ?? home);
}

/** The namespaces the person may write in, or null for all of them. */
export function writableNamespaces(me: Me | null): string[] | null {
  if (!me || me.role === 'admin' || me.namespaces.length === 0) return null;
  return me.namespaces;
}

export const isAdmin = (me: Me | null) => !!me?.permissions.includes('users:manage');
