import { describe, expect, it } from 'vitest';
import { parseResource, type Resource } from '@trellis/shared';
import { compileSnapshot, digestOf } from '../src/compiler/compile.ts';
import { PolicyIndex } from '../src/compiler/policy-index.ts';
import { EndpointRegistry } from '../src/discovery/registry.ts';

let clock = 0;
/** Parses a resource as the store would keep it (defaults filled, a creation time). */
function res(kind: string, name: string, spec: unknown, namespace = 'default'): Resource {
  const parsed = parseResource({ apiVersion: 'trellis.dev/v1alpha1', kind, metadata: { name, namespace }, spec });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  parsed.resource.metadata.creationTimestamp = new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)).toISOString();
  return parsed.resource;
}
const target = (name: string, route?: string) => ({ kind: 'Service', name, ...(route ? { route } : {}) });
const mesh = { defaultSampling: 1, trustDomain: 'trellis.local' };

describe('the config compiler', () => {
  const registry = new EndpointRegistry();
  registry.upsert({ service: 'reviews', namespace: 'default', source: 'proxy', address: '10.0.0.1', port: 9001, labels: { version: 'v1' } });
  registry.upsert({ service: 'reviews', namespace: 'default', source: 'proxy', address: '10.0.0.2', port: 9001, labels: { version: 'v2' } });
  registry.upsert({ service: 'ledger', namespace: 'finance', source: 'proxy', address: '10.0.1.1', port: 9001, labels: {} });

  const resources = [
    res('Service', 'reviews', { routes: [{ name: 'list', match: { path: { type: 'PathPrefix', value: '/reviews' }, method: 'GET' } }] }),
    res('RetryPolicy', 'reviews-all', { targetRef: target('reviews'), attempts: 2 }),
    res('RetryPolicy', 'reviews-list', { targetRef: target('reviews', 'list'), attempts: 5, perTryTimeout: '200ms' }),
    res('RetryPolicy', 'reviews-newer', { targetRef: target('reviews'), attempts: 9 }),
    res('TrafficSplit', 'reviews', {
      targetRef: target('reviews'),
      backends: [
        { name: 'v1', selector: { version: 'v1' }, weight: 90 },
        { name: 'v2', selector: { version: 'v2' }, weight: 10 },
      ],
    }),
    res('RateLimitPolicy', 'reviews-rl', { targetRef: target('reviews', 'list'), requestsPerSecond: 50 }),
    res('Service', 'frontend', { egress: ['reviews', 'ledger.finance'], tracing: { sampling: 0.25 } }),
  ];
  const index = new PolicyIndex(resources);

  it('gives a caller the routes and policies of the services it calls, route-level over service-level', () => {
    const snap = compileSnapshot('frontend', 'default', index, registry, mesh);
    const reviews = snap.outbound.services.find((s) => s.name === 'reviews');
    expect(reviews?.hostnames).toEqual(['reviews', 'reviews.default', 'reviews.default.svc', 'reviews.default.svc.cluster.local']);
    expect(reviews?.endpoints.map((e) => e.address)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(reviews?.routes.map((r) => r.name)).toEqual(['list', 'default']);
    expect(reviews?.routes[0]?.policies.retry).toMatchObject({ attempts: 5, perTryTimeoutMs: 200, backoffBaseMs: 25 });
    // The oldest of two service-level RetryPolicies wins.
    expect(reviews?.routes[1]?.policies.retry?.attempts).toBe(2);
    // The split applies to every route of the service.
    expect(reviews?.routes.every((r) => r.policies.split?.backends.length === 2)).toBe(true);
    expect(reviews?.loadBalancer).toEqual({ algorithm: 'LeastRequest', localityAware: false });
    expect(snap.tracing.sampling).toBe(0.25);
  });

  it('only includes what the egress list allows, with namespace-qualified hostnames across namespaces', () => {
    const snap = compileSnapshot('frontend', 'default', index, registry, mesh);
    expect(snap.outbound.services.map((s) => `${s.name}.${s.namespace}`)).toEqual(['ledger.finance', 'reviews.default']);
    expect(snap.outbound.services[0]?.hostnames).toEqual(['ledger.finance', 'ledger.finance.svc', 'ledger.finance.svc.cluster.local']);
  });

  it("puts inbound policies only in the target service's own snapshot", () => {
    const own = compileSnapshot('reviews', 'default', index, registry, mesh);
    expect(own.inbound.routes.find((r) => r.name === 'list')?.policies.rateLimit).toMatchObject({ requestsPerSecond: 50, burst: 50, mode: 'Local' });
    const caller = compileSnapshot('frontend', 'default', index, registry, mesh);
    expect(caller.inbound.routes.every((r) => !r.policies.rateLimit)).toBe(true);
  });

  it('produces the same digest for the same inputs and a different one when a policy changes', () => {
    const a = digestOf(compileSnapshot('frontend', 'default', index, registry, mesh));
    expect(digestOf(compileSnapshot('frontend', 'default', new PolicyIndex(resources), registry, mesh))).toBe(a);
    const changed = new PolicyIndex([...resources.slice(0, 1), res('RetryPolicy', 'reviews-all', { targetRef: target('reviews'), attempts: 3 })]);
    expect(digestOf(compileSnapshot('frontend', 'default', changed, registry, mesh))).not.toBe(a);
  });
});

describe('the compiler and identities', () => {
  const registry = new EndpointRegistry();
  const cartId = 'spiffe://trellis.local/ns/shop/sa/cart';
  registry.upsert({ service: 'cart', namespace: 'shop', source: 'proxy', address: '10.0.2.1', port: 9001, labels: {}, identity: cartId });
  registry.upsert({ service: 'cart', namespace: 'shop', source: 'proxy', address: '10.0.2.2', port: 9001, labels: {}, identity: 'spiffe://trellis.local/ns/shop/sa/cart-k8s' });
  registry.upsert({ service: 'legacy', namespace: 'shop', source: 'kubernetes', address: '10.0.2.9', port: 80, labels: {} });
  registry.upsert({ service: 'payments', namespace: 'shop', source: 'proxy', address: '10.0.3.1', port: 9001, labels: {}, identity: 'spiffe://trellis.local/ns/shop/sa/payments' });

  it('makes every inbound STRICT unless a MutualTLSPolicy says otherwise: Service over Namespace over Mesh', () => {
    const mode = (resources: Resource[], service = 'payments') => compileSnapshot(service, 'shop', new PolicyIndex(resources), registry, mesh).inbound.mtls;
    expect(mode([])).toBe('STRICT');
    const meshWide = res('MutualTLSPolicy', 'mesh', { targetRef: { kind: 'Mesh' }, mode: 'PERMISSIVE' }, 'trellis-system');
    const shop = res('MutualTLSPolicy', 'shop', { targetRef: { kind: 'Namespace', name: 'shop' }, mode: 'DISABLE' }, 'shop');
    const payments = res('MutualTLSPolicy', 'payments', { targetRef: { kind: 'Service', name: 'payments' }, mode: 'STRICT' }, 'shop');
    expect(mode([meshWide])).toBe('PERMISSIVE');
    expect(mode([meshWide, shop])).toBe('DISABLE');
    expect(mode([meshWide, shop, payments])).toBe('STRICT');
    expect(mode([meshWide, shop, payments], 'cart')).toBe('DISABLE');
  });

  it('tells callers which identity each endpoint must present, and connects in the clear where mTLS is off', () => {
    const snap = compileSnapshot('frontend', 'shop', new PolicyIndex([]), registry, mesh);
    const cart = snap.outbound.services.find((s) => s.name === 'cart');
    expect(cart?.endpoints.map((e) => e.identity)).toEqual([cartId, 'spiffe://trellis.local/ns/shop/sa/cart-k8s']);
    // An endpoint without a proxy (discovered from Kubernetes) has no identity: plain HTTP.
    expect(snap.outbound.services.find((s) => s.name === 'legacy')?.endpoints[0]?.identity).toBeUndefined();
    const off = res('MutualTLSPolicy', 'cart-off', { targetRef: { kind: 'Service', name: 'cart' }, mode: 'DISABLE' }, 'shop');
    const plain = compileSnapshot('frontend', 'shop', new PolicyIndex([off]), registry, mesh);
    expect(plain.outbound.services.find((s) => s.name === 'cart')?.endpoints.every((e) => e.identity === undefined)).toBe(true);
  });

  it('resolves service names in AuthorizationPolicy to identities, keeps patterns, "external" and "*", and applies namespace-wide policies', () => {
    const policies = [
      res('AuthorizationPolicy', 'payments-callers', {
        targetRef: { kind: 'Service', name: 'payments' },
        action: 'Allow',
        rules: [{ from: ['cart', 'ledger.finance', 'spiffe://trellis.local/ns/ops/*', 'external'] }],
      }, 'shop'),
      res('AuthorizationPolicy', 'shop-default-deny', { targetRef: { kind: 'Namespace', name: 'shop' }, action: 'Allow', rules: [] }, 'shop'),
      res('AuthorizationPolicy', 'other-ns', { targetRef: { kind: 'Namespace', name: 'finance' }, action: 'Deny', rules: [{ from: ['*'] }] }, 'finance'),
    ];
    const snap = compileSnapshot('payments', 'shop', new PolicyIndex(policies), registry, mesh);
    expect(snap.inbound.authorization.map((a) => a.id)).toEqual(['shop/payments-callers', 'shop/shop-default-deny']);
    expect(snap.inbound.authorization[0]?.rules[0]?.from).toEqual([
      cartId,
      'spiffe://trellis.local/ns/shop/sa/cart-k8s',
      'spiffe://trellis.local/ns/finance/sa/ledger',
      'spiffe://trellis.local/ns/ops/*',
      'external',
    ]);
    expect(snap.inbound.authorization[1]?.rules).toEqual([]);
  });
});
