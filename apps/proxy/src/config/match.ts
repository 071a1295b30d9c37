import { compileFullMatch, type RouteMatch } from '@trellis/shared';
import type { ProxyRequest } from '../http/types.ts';

export type RequestMatcher = (req: ProxyRequest) => boolean;

type PathMatch = NonNullable<RouteMatch['path']>;

/** Gateway API PathPrefix: "/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar". */
function pathPredicate(path: PathMatch): (p: string) => boolean {
  switch (path.type) {
    case 'Exact':
      return (p) => p === path.value;
    case 'PathPrefix': {
      const prefix = path.value.length > 1 && path.value.endsWith('/') ? path.value.slice(0, -1) : path.value;
      if (prefix === '/') return () => true;
      return (p) => p.startsWith(prefix) && (p.length === prefix.length || p.charCodeAt(prefix.length) === 47 /* / */);
    }
    // RE2 in linear time (never V8's backtracking RegExp): a request cannot stall the proxy. Regular
    // expressions match the whole value (Envoy's and the Gateway API's usual reading).
    case 'RegularExpression':
      return compileFullMatch(path.value);
  }
}

function valuePredicate(m: { type: 'Exact' | 'RegularExpression'; value: string }): (v: string | undefined) => boolean {
  if (m.type === 'Exact') return (v) => v === m.value;
  const test = compileFullMatch(m.value);
  return (v) => v !== undefined && test(v);
}

function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(name) ?? undefined;
}

/**
 * Compiles a route match once per snapshot into one predicate; every field given must hold. Regular
 * expressions were validated by the schema (RE2 syntax, bounded size), so compiling cannot fail here.
 */
export function compileMatch(match: RouteMatch): RequestMatcher {
  const checks: RequestMatcher[] = [];
  if (match.method) {
    const method = match.method;
    checks.push((req) => req.method === method);
  }
  if (match.path) {
    const test = pathPredicate(match.path);
    checks.push((req) => test(req.path));
  }
  for (const h of match.headers ?? []) {
    const name = h.name.toLowerCase();
    const test = valuePredicate(h);
    checks.push((req) => test(req.header(name)));
  }
  for (const q of match.queryParams ?? []) {
    const test = valuePredicate(q);
    checks.push((req) => test(queryValue(req.url, q.name)));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0] ?? (() => true);
  return (req) => {
    for (const check of checks) if (!check(req)) return false;
    return true;
  };
}
