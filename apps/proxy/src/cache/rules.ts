import type { HeaderMap } from '../http/headers.ts';

// RFC 9111 basics for a shared cache: what may be stored, and for how long.

/** Statuses cacheable by default (RFC 9110 §15.1), when freshness is explicit or a default TTL applies. */
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

export type Directives = Map<string, string | true>;

/** Cache-Control directives, lowercased: `max-age=60, no-cache` -> {max-age: "60", no-cache: true}. */
export function cacheControl(value: string | string[] | undefined): Directives {
  const out: Directives = new Map();
  if (value === undefined) return out;
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    out.set(name, eq === -1 ? true : part.slice(eq + 1).trim().replace(/^"|"$/g, ''));
  }
  return out;
}

function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (typeof v !== 'string' || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** What the request allows: look up a stored response, and store the new one. */
export function requestPolicy(method: string, headers: HeaderMap): { lookup: boolean; store: boolean } {
  if (method !== 'GET' && method !== 'HEAD') return { lookup: false, store: false };
  const cc = cacheControl(headers['cache-control']);
  if (cc.has('no-store')) return { lookup: false, store: false };
  const noCache = cc.has('no-cache') || seconds(cc, 'max-age') === 0 || (cc.size === 0 && headers.pragma === 'no-cache');
  return { lookup: !noCache, store: method === 'GET' };
}

/**
 * How long a response stays fresh (ms), or undefined when a shared cache must not store it: no-store,
 * private, no-cache (we do not revalidate), Vary: *, Set-Cookie, an uncacheable status, or no freshness
 * information and no default TTL. Requests with Authorization are stored only when the response says
 * public or s-maxage (RFC 9111 §3.5).
 */
export function freshnessMs(status: number, headers: HeaderMap, requestHasAuthorization: boolean, defaultTtlMs: number | undefined): number | undefined {
  if (!CACHEABLE_STATUS.has(status)) return undefined;
  if (headers['set-cookie'] !== undefined || headers.vary === '*') return undefined;
  const cc = cacheControl(headers['cache-control']);
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return undefined;
  const sMaxAge = seconds(cc, 's-maxage');
  if (requestHasAuthorization && sMaxAge === undefined && !cc.has('public')) return undefined;
  const age = Number(headers.age ?? 0) * 1000 || 0;
  const explicit = sMaxAge ?? seconds(cc, 'max-age');
  if (explicit !== undefined) return explicit * 1000 - age;
  const expires = typeof headers.expires === 'string' ? Date.parse(headers.expires) : NaN;
  if (!Number.isNaN(expires)) {
    const date = typeof headers.date === 'string' ? Date.parse(headers.date) : NaN;
    return expires - (Number.isNaN(date) ? Date.now() : date) - age;
  }
  return defaultTtlMs;
}

/** The header names a response varies on, lowercased. */
export function varyNames(headers: HeaderMap): string[] {
  const vary = headers.vary;
  if (vary === undefined) return [];
  return (Array.isArray(vary) ? vary.join(',') : vary)
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}
