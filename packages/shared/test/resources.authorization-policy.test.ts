import { describe, expect, it } from 'vitest';
import { accept, rejectAt, rejectIncluding, resource, target } from './support.ts';

const authz = (spec: Record<string, unknown>) =>
  resource('AuthorizationPolicy', { targetRef: target('payments'), ...spec }, { name: 'payments-callers' });

describe('AuthorizationPolicy', () => {
  it('accepts a full example: only cart may POST /charge, anyone may read /healthz', () => {
    const r = accept(
      'AuthorizationPolicy',
      authz({
        action: 'Allow',
        rules: [
          { from: ['cart', 'cart.default'], paths: [{ type: 'Exact', value: '/charge' }], methods: ['POST'] },
          { from: ['*'], paths: [{ type: 'PathPrefix', value: '/healthz' }, { type: 'RegularExpression', value: '/status/[a-z]+' }], methods: ['GET', 'HEAD'] },
        ],
      }),
    );
    expect(r.spec.action).toBe('Allow');
    expect(r.spec.rules).toHaveLength(2);
    expect(r.spec.rules[0]?.from).toEqual(['cart', 'cart.default']);
  });

  it('accepts a minimal Deny rule (sources only)', () => {
    const r = accept('AuthorizationPolicy', authz({ action: 'Deny', rules: [{ from: ['frontend'] }] }));
    expect(r.spec.rules[0]?.paths).toBeUndefined();
    expect(r.spec.rules[0]?.methods).toBeUndefined();
  });

  it('refuses an action other than Allow or Deny', () => {
    rejectAt(authz({ action: 'Permit', rules: [{ from: ['cart'] }] }), 'spec.action', /expected one of "Allow"\|"Deny"/);
  });

  it('wants at least one rule in a Deny policy, and at least one source in each rule', () => {
    rejectAt(authz({ action: 'Deny', rules: [] }), 'spec.rules', /needs at least one rule/);
    rejectAt(authz({ action: 'Allow', rules: [{ from: [] }] }), 'spec.rules[0].from', /^must name at least one caller/);
    rejectAt(authz({ action: 'Allow', rules: [{ paths: [{ type: 'Exact', value: '/' }] }] }), 'spec.rules[0].from', /^is required$/);
  });

  it('takes an Allow policy without rules on a namespace: a default-deny', () => {
    const r = accept('AuthorizationPolicy', resource('AuthorizationPolicy', { targetRef: { kind: 'Namespace', name: 'shop' }, action: 'Allow', rules: [] }));
    expect(r.spec.targetRef).toEqual({ kind: 'Namespace', name: 'shop' });
    rejectAt(
      resource('AuthorizationPolicy', { targetRef: { kind: 'Pod', name: 'x' }, action: 'Allow', rules: [] }),
      'spec.targetRef.kind',
      /"Service" or "Namespace"/,
    );
  });

  it('takes identities as sources: SPIFFE ID patterns, "external" and "*"', () => {
    const r = accept(
      'AuthorizationPolicy',
      authz({ action: 'Allow', rules: [{ from: ['spiffe://trellis.local/ns/default/sa/cart', 'spiffe://trellis.local/ns/shop/*', 'external', '*'] }] }),
    );
    expect(r.spec.rules[0]?.from).toHaveLength(4);
  });

  it('refuses sources that are neither service names nor identities, naming which one', () => {
    rejectAt(authz({ action: 'Allow', rules: [{ from: ['cart', 'Frontend'] }] }), 'spec.rules[0].from[1]', /"name", "name\.namespace"/);
    rejectAt(authz({ action: 'Allow', rules: [{ from: ['spiffe://trellis.local/pods/x'] }] }), 'spec.rules[0].from[0]', /SPIFFE ID pattern/);
    rejectAt(authz({ action: 'Allow', rules: [{ from: ['spiffe://Bad Domain/ns/a/sa/b'] }] }), 'spec.rules[0].from[0]', /SPIFFE ID pattern/);
  });

  it('refuses a path regular expression that does not compile', () => {
    rejectAt(
      authz({ action: 'Allow', rules: [{ from: ['cart'], paths: [{ type: 'RegularExpression', value: '/charge/(' }] }] }),
      'spec.rules[0].paths[0].value',
      /is not a valid RE2 regular expression/,
    );
  });

  it('refuses unknown methods and paths not starting with "/"', () => {
    rejectIncluding(
      authz({ action: 'Allow', rules: [{ from: ['cart'], methods: ['POST', 'FETCH'], paths: [{ type: 'PathPrefix', value: 'charge' }] }] }),
      'spec.rules[0].methods[1]',
      /expected one of/,
    );
    rejectIncluding(
      authz({ action: 'Allow', rules: [{ from: ['cart'], methods: ['POST', 'FETCH'], paths: [{ type: 'PathPrefix', value: 'charge' }] }] }),
      'spec.rules[0].paths[0].value',
      /must start with "\/"/,
    );
  });

  it('refuses a typo in a rule', () => {
    rejectAt(authz({ action: 'Allow', rules: [{ from: ['cart'], method: ['POST'] }] }), 'spec.rules[0].method', /unknown field spec\.rules\[0\]\.method/);
  });
});
