import Link from 'next/link';
import type { MtlsMode } from '@trellis/shared';
import { describeRule, type AuthorizationSummary } from '@/lib/security';
import { Badge } from '../ui';

const EVERYONE: Record<MtlsMode, string> = {
  STRICT: 'No AuthorizationPolicy applies: any proxy in the mesh may call it (plain HTTP is refused).',
  PERMISSIVE: 'No AuthorizationPolicy applies: proxies in the mesh, and callers outside it, may call it.',
  DISABLE: 'No AuthorizationPolicy applies: anyone who can reach it may call it.',
};

/**
 * Who may call a service, in words: the AuthorizationPolicies its proxies evaluate (its own and its
 * namespace's), each rule with the identities the control plane resolved its callers to. A Deny rule
 * always wins; once any Allow policy applies, only what some Allow rule matches gets in.
 */
export function WhoMayCall({ service, namespace, mode, authorization }: { service: string; namespace: string; mode: MtlsMode; authorization: AuthorizationSummary }) {
  const { policies } = authorization;
  const denies = policies.some((p) => p.action === 'Deny');
  const addHref = `/policies/new?kind=AuthorizationPolicy&target=${encodeURIComponent(service)}&namespace=${encodeURIComponent(namespace)}`;
  return (
    <div className="who-may-call" data-testid="who-may-call" data-default={authorization.default}>
      {authorization.default === 'allow' ? (
        <div className="who-lead" data-testid="authz-everyone">
          <Badge tone="ok">Everyone may call</Badge>
          <span className="hint">{denies ? 'except what a Deny rule below matches.' : EVERYONE[mode]}</span>
        </div>
      ) : (
        <div className="who-lead" data-testid="authz-only">
          <Badge tone="accent">Only what is allowed</Badge>
          <span className="hint">A request no Allow rule matches gets 403{denies ? '; a Deny rule wins over any Allow' : ''}.</span>
        </div>
      )}
      {policies.length > 0 ? (
        <ul className="authz-policies">
          {policies.map((p) => (
            <li key={p.id} data-testid="authz-policy" data-policy={p.id}>
              <div className="authz-policy-head">
                <Link href={`/policies/AuthorizationPolicy/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`} data-testid="authz-policy-link">
                  {p.name}
                </Link>
                <span className="hint">on {p.target}</span>
                <span className="hint">· edit →</span>
              </div>
              <ul className="authz-rules">
                {p.rules.length === 0 ? (
                  <li data-testid="authz-rule">{p.action}: nobody (an Allow policy without rules is a default-deny)</li>
                ) : (
                  p.rules.map((r, i) => (
                    <li key={i} data-testid="authz-rule" className={p.action === 'Deny' ? 'deny' : 'allow'}>
                      {describeRule(p.action, r)}
                    </li>
                  ))
                )}
              </ul>
            </li>
          ))}
        </ul>
      ) : null}
      <Link href={addHref} className="hint-link" data-testid="authz-add">
        Add an authorization policy →
      </Link>
    </div>
  );
}
