import type { Resource } from '@trellis/shared';
import { serviceKey } from '../discovery/registry.ts';

const MAX_LISTED = 10;

/**
 * Warnings for policies whose targetRef names a service nobody has declared and no endpoint belongs to
 * (`paymentz` for `payments`). They are accepted, since the service may come later (a deployment not
 * yet rolled out), but the person applying them should hear that nothing is there yet. Services
 * declared in the same apply count as known.
 */
export function targetWarnings(resources: readonly Resource[], existing: ReadonlySet<string>): string[][] {
  const known = new Set(existing);
  for (const r of resources) if (r.kind === 'Service') known.add(serviceKey(r.metadata.name, r.metadata.namespace));
  return resources.map((r) => {
    if (r.kind === 'Service' || r.spec.targetRef.kind !== 'Service') return [];
    const target = r.spec.targetRef;
    const namespace = target.namespace ?? r.metadata.namespace;
    if (known.has(serviceKey(target.name, namespace))) return [];
    const inNamespace = [...known].filter((k) => k.endsWith(`.${namespace}`)).map((k) => k.slice(0, -namespace.length - 1)).sort();
    const near = inNamespace.find((name) => editDistance(name, target.name) <= 2);
    const listed = inNamespace.length > MAX_LISTED ? `${inNamespace.slice(0, MAX_LISTED).join(', ')}, …` : inNamespace.join(', ');
    return [
      `spec.targetRef: no service "${target.name}" is known in namespace ${namespace} (no Service resource, endpoints or proxy); ` +
        `the policy is kept and takes effect when the service appears` +
        (near ? `. Did you mean "${near}"?` : inNamespace.length ? `. Known there: ${listed}` : ''),
    ];
  });
}

/** Levenshtein distance, for short names only. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
