import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { isHopByHop, isTrellisHeader, listedInConnection } from '../http/hop-by-hop.ts';
import type { HeaderMap } from '../http/headers.ts';

// undici's own helpers for raw heads: the lowercase name of a raw header name (well-known names come
// from a lookup tree, without a string per call) and its raw-to-object conversion (for trailers).
const undiciUtil = createRequire(import.meta.url)('undici/lib/core/util.js') as {
  headerNameToString(name: Buffer | string): string;
  parseHeaders(raw: Array<Buffer | string>): Record<string, string | string[]>;
};

/**
 * The headers of a raw response head (undici's [name, value, name, value, ...]) as the proxy forwards
 * them, built in one pass: lowercase names, a repeated header as an array of its values in order (as
 * undici's parseHeaders makes them), without hop-by-hop headers, those the Connection header lists, and
 * with `dropTrellis` (an answer that did not come from a proxy over mutual TLS) x-trellis-*.
 */
export function forwardedResponseHeaders(raw: ReadonlyArray<Buffer | string>, dropTrellis: boolean): HeaderMap {
  const out: HeaderMap = {};
  let connection: string | string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = undiciUtil.headerNameToString(raw[i] as Buffer | string);
    const rawValue = raw[i + 1] as Buffer | string;
    const value = typeof rawValue === 'string' ? rawValue : rawValue.toString('latin1');
    if (isHopByHop(name)) {
      if (name === 'connection') connection = connection === undefined ? value : [...(Array.isArray(connection) ? connection : [connection]), value];
      continue;
    }
    // `__proto__` cannot be an ordinary key of a plain object; the copy the proxy made before dropped it too.
    if ((dropTrellis && isTrellisHeader(name)) || name === '__proto__') continue;
    const existing = out[name];
    // A name such as "constructor" finds the prototype's property: not a header seen before.
    if (existing === undefined || !Object.hasOwn(out, name)) out[name] = value;
    else if (typeof existing === 'string') out[name] = [existing, value];
    else existing.push(value);
  }
  const listed = listedInConnection(connection);
  if (listed) for (const name of listed) delete out[name];
  return out;
}

/** Trailers from a raw list, or undefined when there are none (most responses). */
export function trailersOf(raw: ReadonlyArray<Buffer | string> | null): IncomingHttpHeaders | undefined {
  return raw && raw.length > 0 ? undiciUtil.parseHeaders([...raw]) : undefined;
}
