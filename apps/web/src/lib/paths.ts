/**
 * Reading and writing a resource by the field paths the schemas report ("spec.backends[1].weight"), so a
 * form field, a client-side zod issue and a server field error all name the same place.
 */
export type PathToken = string | number;

export function parsePath(path: string): PathToken[] {
  const tokens: PathToken[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      tokens.push(part);
      continue;
    }
    if (m[1]) tokens.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) tokens.push(Number(idx[1]));
  }
  return tokens;
}

export function getAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const t of parsePath(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PathToken, unknown>)[t];
  }
  return cur;
}

/** A copy of `obj` with `value` at `path` (undefined removes the field); intermediate objects are created. */
export function setAt<T>(obj: T, path: string, value: unknown): T {
  const tokens = parsePath(path);
  const write = (cur: unknown, i: number): unknown => {
    const t = tokens[i];
    if (t === undefined) return value;
    const base: Record<PathToken, unknown> | unknown[] = Array.isArray(cur) ? [...(cur as unknown[])] : cur && typeof cur === 'object' ? { ...(cur as Record<string, unknown>) } : typeof t === 'number' ? [] : {};
    const next = write((base as Record<PathToken, unknown>)[t], i + 1);
    if (next === undefined && i === tokens.length - 1 && !Array.isArray(base)) delete (base as Record<PathToken, unknown>)[t];
    else (base as Record<PathToken, unknown>)[t] = next;
    return base;
  };
  return write(obj, 0) as T;
}

/** True when `errorPath` is `path` itself or lies inside it. */
export function within(errorPath: string, path: string): boolean {
  return errorPath === path || errorPath.startsWith(`${path}.`) || errorPath.startsWith(`${path}[`);
}
