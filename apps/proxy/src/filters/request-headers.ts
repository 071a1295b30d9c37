import type { CompiledHeaderModifier } from '@trellis/shared';
import type { Middleware } from '../http/types.ts';

/**
 * HTTPRoute's RequestHeaderModifier: before the request goes on, `set` replaces a header, `add` appends
 * a value to it (or creates it), `remove` deletes it. Names compare case-insensitively (headers here are
 * lower-case).
 */
export function createRequestHeaders(modifier: CompiledHeaderModifier | undefined): Middleware | null {
  if (!modifier || modifier.set.length + modifier.add.length + modifier.remove.length === 0) return null;
  const set = modifier.set.map((h) => [h.name.toLowerCase(), h.value] as const);
  const add = modifier.add.map((h) => [h.name.toLowerCase(), h.value] as const);
  const remove = modifier.remove.map((n) => n.toLowerCase());
  return (next) => (req) => {
    const headers = req.headers;
    for (const [name, value] of set) headers[name] = value;
    for (const [name, value] of add) {
      const old = headers[name];
      headers[name] = old === undefined ? value : Array.isArray(old) ? [...old, value] : `${old},${value}`;
    }
    for (const name of remove) delete headers[name];
    return next(req);
  };
}
