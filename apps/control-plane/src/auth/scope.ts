import { resolveKind } from '@trellis/shared';
import type { ResourceStore } from '../store/resources.ts';

/** Stands for "every namespace": what a mesh-wide policy changes. */
export const EVERY_NAMESPACE = '*';

/**
 * The namespaces writing `resource` changes: the one it lives in, and the one its policy takes effect in
 * (a Service target's namespace, which may be another; a Namespace target; every namespace for a Mesh
 * target). Read from the raw input, before validation, so an editor limited to `shop` cannot reach
 * `payments` by pointing a policy in shop at it.
 */
export function affectedNamespaces(resource: unknown): string[] {
  const r = (resource ?? {}) as { metadata?: { namespace?: unknown }; spec?: { targetRef?: { kind?: unknown; name?: unknown; namespace?: unknown } } };
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const home = text(r.metadata?.namespace) ?? 'default';
  const target = r.spec?.targetRef;
  if (!target || typeof target !== 'object') return [home];
  if (target.kind === 'Mesh') return [home, EVERY_NAMESPACE];
  if (target.kind === 'Namespace') return [home, text(target.name) ?? home];
  return [home, text(target.namespace) ?? home];
}

/** A stored resource's reference, as delete and rollback name it. */
interface Ref {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The namespaces deleting or rolling back a stored resource changes: where it lives, where its current
 * version takes effect, and (rollback) where the version it goes back to takes effect.
 */
export async function storedNamespaces(store: ResourceStore, ref: Ref, toRevision?: number): Promise<string[]> {
  // An unknown kind touches nothing; the procedure itself says what is wrong with it.
  const kind = resolveKind(ref.kind);
  if (!kind) return [ref.namespace];
  const stored = { ...ref, kind };
  const current = await store.get(stored);
  const out = [ref.namespace, ...(current ? affectedNamespaces(current) : [])];
  if (toRevision !== undefined) {
    const target = (await store.history(stored)).find((r) => r.revision === toRevision);
    if (target?.after) out.push(...affectedNamespaces(target.after));
  }
  return out;
}
