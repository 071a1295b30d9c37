/** One difference between two JSON values, located by a field path like "spec.backends[1].weight". */
export interface Change {
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Field-level differences between two JSON documents (null means the document does not exist). */
export function diffObjects(before: unknown, after: unknown, path = ''): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const bothObjects = isObject(before) && isObject(after);
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  if (bothArrays) {
    const out: Change[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      out.push(...diffObjects(before[i], after[i], `${path}[${i}]`));
    }
    return out;
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffObjects(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return [{ path, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
