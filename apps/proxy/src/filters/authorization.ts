import { identityMatcher, type CompiledAuthorization } from '@trellis/shared';
import { compileMatch } from '../config/match.ts';
import { proxyError } from '../http/response.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';

type Predicate = (req: ProxyRequest) => boolean;

/**
 * Who a rule names. The caller is the identity its proxy proved with its certificate (req.identity), or
 * nobody ("external": no mutual TLS). "*" is anyone; "external" is callers without an identity; a SPIFFE
 * pattern matches identities; a service name ("name" in our namespace, or "name.namespace") matches the
 * service the verified identity names (the control plane resolves names to identities; snapshot files
 * may still name services).
 */
function sourcePredicate(from: readonly string[], namespace: string): Predicate {
  if (from.includes('*')) return () => true;
  const external = from.includes('external');
  const patterns = from.filter((f) => f.startsWith('spiffe://')).map(identityMatcher);
  const names = new Set(from.filter((f) => f !== 'external' && !f.startsWith('spiffe://')).map((f) => (f.includes('.') ? f : `${f}.${namespace}`)));
  return (req) => {
    const identity = req.identity;
    if (identity === undefined) return external;
    return names.has(req.source) || patterns.some((p) => p(identity));
  };
}

function rulePredicate(rule: CompiledAuthorization['rules'][number], namespace: string): Predicate {
  const source = sourcePredicate(rule.from, namespace);
  const paths = (rule.paths ?? []).map((path) => compileMatch({ path }));
  const methods = rule.methods ? new Set<string>(rule.methods) : undefined;
  return (req) => source(req) && (paths.length === 0 || paths.some((p) => p(req))) && (methods === undefined || methods.has(req.method));
}

/**
 * Authorization policies of this service, Istio's way: a matching Deny rule denies; when any Allow
 * policy exists, a request must match one of its rules (an Allow policy without rules, a default-deny,
 * matches nothing by itself). Denied requests get 403.
 */
export function createAuthorization(policies: readonly CompiledAuthorization[], namespace: string): Middleware | null {
  if (policies.length === 0) return null;
  const anyRule = (p: CompiledAuthorization) => {
    const rules = p.rules.map((r) => rulePredicate(r, namespace));
    return { id: p.id, test: (req: ProxyRequest) => rules.some((r) => r(req)) };
  };
  const denies = policies.filter((p) => p.action === 'Deny').map(anyRule);
  const allows = policies.filter((p) => p.action === 'Allow').map(anyRule);
  const who = (req: ProxyRequest) => req.identity ?? 'a caller without a mesh identity (external)';
  return (next) => (req) => {
    const denied = denies.find((d) => d.test(req));
    if (denied) return Promise.resolve(proxyError('denied', `${who(req)} may not call ${req.method} ${req.path} (${denied.id})`));
    if (allows.length > 0 && !allows.some((a) => a.test(req))) {
      return Promise.resolve(proxyError('denied', `no policy allows ${who(req)} to call ${req.method} ${req.path}`));
    }
    return next(req);
  };
}
