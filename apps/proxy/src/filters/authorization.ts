import type { CompiledAuthorization } from '@trellis/shared';
import { compileMatch } from '../config/match.ts';
import { proxyError } from '../http/reasons.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';

type Predicate = (req: ProxyRequest) => boolean;

/** "*" is anyone (callers outside the mesh too); "name" means that service in our own namespace. */
function sourcePredicate(from: readonly string[], namespace: string): Predicate {
  if (from.includes('*')) return () => true;
  const names = new Set(from.map((f) => (f.includes('.') ? f : `${f}.${namespace}`)));
  return (req) => names.has(req.source);
}

function rulePredicate(rule: CompiledAuthorization['rules'][number], namespace: string): Predicate {
  const source = sourcePredicate(rule.from, namespace);
  const paths = (rule.paths ?? []).map((path) => compileMatch({ path }));
  const methods = rule.methods ? new Set<string>(rule.methods) : undefined;
  return (req) => source(req) && (paths.length === 0 || paths.some((p) => p(req))) && (methods === undefined || methods.has(req.method));
}

/**
 * Authorization policies of this service, Istio's way: a matching Deny rule denies; when any Allow
 * policy exists, a request must match one of its rules. Denied requests get 403.
 */
export function createAuthorization(policies: readonly CompiledAuthorization[], namespace: string): Middleware | null {
  if (policies.length === 0) return null;
  const anyRule = (p: CompiledAuthorization) => {
    const rules = p.rules.map((r) => rulePredicate(r, namespace));
    return { id: p.id, test: (req: ProxyRequest) => rules.some((r) => r(req)) };
  };
  const denies = policies.filter((p) => p.action === 'Deny').map(anyRule);
  const allows = policies.filter((p) => p.action === 'Allow').map(anyRule);
  return (next) => (req) => {
    const denied = denies.find((d) => d.test(req));
    if (denied) return Promise.resolve(proxyError('denied', `${req.source} may not call ${req.method} ${req.path} (${denied.id})`));
    if (allows.length > 0 && !allows.some((a) => a.test(req))) {
      return Promise.resolve(proxyError('denied', `no policy allows ${req.source} to call ${req.method} ${req.path}`));
    }
    return next(req);
  };
}
