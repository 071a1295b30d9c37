import { formatPath } from '@trellis/shared';

export interface Change {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Field-level differences between two JSON values, the shape the API's diff returns. */
export function diffValues(before: unknown, after: unknown, path: (string | number)[] = []): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const bothObjects = before && after && typeof before === 'object' && typeof after === 'object' && Array.isArray(before) === Array.isArray(after);
  if (!bothObjects) return [{ path: formatPath(path), before, after }];
  if (Array.isArray(before) && Array.isArray(after)) {
    // Lists of scalars read best as one change; lists of objects field by field.
    if ([...before, ...after].every((v) => v === null || typeof v !== 'object') || before.length !== after.length) return [{ path: formatPath(path), before, after }];
    return before.flatMap((b, i) => diffValues(b, after[i], [...path, i]));
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => diffValues(a[k], b[k], [...path, k]));
}

/** The parts of a resource a person edits (no server-kept metadata), for diffs and the YAML view. */
export function editable(resource: unknown): Record<string, unknown> {
  if (!resource || typeof resource !== 'object') return {};
  const r = resource as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown>; spec?: unknown };
  const { resourceVersion: _rv, creationTimestamp: _ct, uid: _uid, ...metadata } = r.metadata ?? {};
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec };
}
