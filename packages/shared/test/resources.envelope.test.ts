import { describe, expect, it } from 'vitest';
import {
  API_VERSION,
  POLICY_KINDS,
  RESOURCE_KINDS,
  describeErrors,
  formatPath,
  isResourceKind,
  parseResource,
  resolveKind,
  resourceKey,
} from '../src/index.ts';
import { MINIMAL_SPECS, accept, reject, rejectAt, rejectIncluding, resource, target } from './support.ts';

// What every kind shares: apiVersion, kind, metadata, the unknown-field rule and targetRef.

describe('the envelope: apiVersion and kind', () => {
  it('accepts the minimal spec of every kind', () => {
    for (const kind of RESOURCE_KINDS) accept(kind, resource(kind, MINIMAL_SPECS[kind]()));
  });

  it('refuses a wrong or missing apiVersion, naming the one it wants', () => {
    rejectAt({ ...resource('Service', {}), apiVersion: 'trellis.dev/v1' }, 'apiVersion', /must be "trellis\.dev\/v1alpha1"/);
    rejectAt({ ...resource('Service', {}), apiVersion: 'v1' }, 'apiVersion', /trellis\.dev\/v1alpha1/);
    const { apiVersion: _, ...noApiVersion } = resource('Service', {});
    rejectAt(noApiVersion, 'apiVersion', /trellis\.dev\/v1alpha1/);
  });

  it('refuses an unknown kind, listing the kinds it knows', () => {
    const error = rejectAt(resource('Gateway', {}), 'kind', /unknown kind "Gateway"/);
    for (const kind of RESOURCE_KINDS) expect(error.message).toContain(kind);
    // Kinds are case-sensitive, as in Kubernetes.
    rejectAt(resource('retrypolicy', { targetRef: target(), attempts: 3 }), 'kind', /unknown kind "retrypolicy"/);
    const { kind: _, ...noKind } = resource('Service', {});
    rejectAt(noKind, 'kind', /unknown kind undefined/);
  });

  it('refuses what is not an object at all', () => {
    for (const input of [null, [], 'Service', 42, undefined]) {
      rejectAt(input, '', /must be an object with apiVersion, kind, metadata and spec/);
    }
  });

  it('requires metadata and spec', () => {
    rejectAt({ apiVersion: API_VERSION, kind: 'CachePolicy', spec: { targetRef: target() } }, 'metadata', /^is required$/);
    rejectAt({ apiVersion: API_VERSION, kind: 'CachePolicy', metadata: { name: 'x' } }, 'spec', /^is required$/);
    rejectAt(resource('CachePolicy', { targetRef: target() }, { namespace: 'default' }), 'metadata.name', /^is required$/);
  });

  it('refuses unknown top-level fields', () => {
    rejectAt({ ...resource('Service', {}), specs: {} }, 'specs', /unknown field specs/);
  });

  it('accepts a read-only status block (a fetched resource can be re-applied)', () => {
    const r = accept('Service', { ...resource('Service', {}), status: { proxies: 3 } });
    expect(r.status).toEqual({ proxies: 3 });
  });
});

describe('metadata', () => {
  const withMeta = (metadata: Record<string, unknown>) => resource('Service', {}, metadata);

  it('fills in namespace "default" and keeps one that is given', () => {
    expect(accept('Service', withMeta({ name: 'cart' })).metadata.namespace).toBe('default');
    expect(accept('Service', withMeta({ name: 'cart', namespace: 'shop' })).metadata.namespace).toBe('shop');
  });

  it('accepts DNS-1123 names up to 63 characters', () => {
    for (const name of ['cart', 'reviews-v2', 'a', '9lives', 'a'.repeat(63)]) accept('Service', withMeta({ name }));
  });

  it('refuses names with uppercase letters, underscores, dots or edge dashes', () => {
    for (const name of ['Cart', 'reviews_v2', 'reviews.v2', '-cart', 'cart-', 'cart service']) {
      rejectAt(withMeta({ name }), 'metadata.name', /lowercase letters, digits and "-"/);
    }
  });

  it('refuses names longer than 63 characters and empty names', () => {
    rejectAt(withMeta({ name: 'a'.repeat(64) }), 'metadata.name', /at most 63 characters/);
    rejectIncluding(withMeta({ name: '' }), 'metadata.name', /must not be empty/);
  });

  it('refuses a name that is not text', () => {
    rejectAt(withMeta({ name: 7 }), 'metadata.name', /expected string/);
  });

  it('applies the same rule to namespaces', () => {
    rejectAt(withMeta({ name: 'cart', namespace: 'Shop' }), 'metadata.namespace', /lowercase/);
  });

  it('refuses a typo in metadata, naming the field', () => {
    rejectAt(withMeta({ name: 'cart', lables: { app: 'cart' } }), 'metadata.lables', /unknown field metadata\.lables/);
  });

  it('accepts Kubernetes labels, with or without a prefix', () => {
    const r = accept('Service', withMeta({ name: 'cart', labels: { 'app.kubernetes.io/name': 'cart', tier: 'web_1.0' } }));
    expect(r.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'cart', tier: 'web_1.0' });
  });

  it('refuses label values that are too long or hold spaces, naming the label', () => {
    rejectAt(withMeta({ name: 'cart', labels: { tier: 'a'.repeat(64) } }), 'metadata.labels.tier', /Kubernetes label value/);
    rejectAt(withMeta({ name: 'cart', labels: { tier: 'front end' } }), 'metadata.labels.tier', /Kubernetes label value/);
  });

  // FAILS until fixed in src/errors.ts (see the report): zod reports a bad record key as code "invalid_key" with
  // the key schema's own message nested in issue.issues, so the user reads "Invalid key in record".
  it('refuses a bad label key with the label-key rule, not a generic message', () => {
    rejectAt(withMeta({ name: 'cart', labels: { 'bad key!': 'x' } }), 'metadata.labels.bad key!', /Kubernetes label key/);
  });

  it('accepts the fields the control plane sets, so a fetched resource can be edited and re-applied', () => {
    const r = accept(
      'Service',
      withMeta({ name: 'cart', resourceVersion: '12', creationTimestamp: '2025-01-01T00:00:00Z', uid: 'b1f0', annotations: { note: 'any text' } }),
    );
    expect(r.metadata.resourceVersion).toBe('12');
  });

  it('wants resourceVersion as digits', () => {
    rejectAt(withMeta({ name: 'cart', resourceVersion: 'v12' }), 'metadata.resourceVersion', /number written as a string/);
    rejectAt(withMeta({ name: 'cart', resourceVersion: 12 }), 'metadata.resourceVersion', /expected string/);
  });
});

describe('unknown fields (typos) in spec', () => {
  it('are refused for every kind, naming the field', () => {
    for (const kind of RESOURCE_KINDS) {
      rejectAt(resource(kind, { ...MINIMAL_SPECS[kind](), specTypo: 1 }), 'spec.specTypo', /unknown field spec\.specTypo/);
    }
  });

  it('name every unknown field when there are several', () => {
    const error = rejectAt(resource('RetryPolicy', { targetRef: target(), attempts: 3, atempts: 2, retyrOn: [] }), 'spec.atempts', /unknown fields/);
    expect(error.message).toContain('spec.retyrOn');
  });
});

describe('targetRef', () => {
  const cache = (targetRef: unknown) => resource('CachePolicy', { targetRef });

  it('accepts a service, optionally a namespace, a route and a port', () => {
    const r = accept('CachePolicy', cache({ kind: 'Service', name: 'catalog', namespace: 'shop', route: 'list-products', port: 8080 }));
    expect(r.spec.targetRef).toEqual({ kind: 'Service', name: 'catalog', namespace: 'shop', route: 'list-products', port: 8080 });
  });

  it('only targets Services', () => {
    rejectAt(cache({ kind: 'Deployment', name: 'catalog' }), 'spec.targetRef.kind', /only kind "Service" can be targeted/);
  });

  it('is required by every policy', () => {
    for (const kind of POLICY_KINDS) {
      const { targetRef: _, ...spec } = MINIMAL_SPECS[kind]();
      rejectAt(resource(kind, spec), 'spec.targetRef', /^is required$/);
    }
  });

  it('wants a valid service name, route name and port', () => {
    rejectAt(cache({ kind: 'Service', name: 'Catalog' }), 'spec.targetRef.name', /lowercase/);
    rejectAt(cache({ kind: 'Service', name: 'catalog', route: 'List' }), 'spec.targetRef.route', /lowercase/);
    rejectAt(cache({ kind: 'Service', name: 'catalog', port: 0 }), 'spec.targetRef.port', />=1/);
    rejectAt(cache({ kind: 'Service', name: 'catalog', port: 65536 }), 'spec.targetRef.port', /<=65535/);
    rejectAt(cache({ kind: 'Service', name: 'catalog', port: 80.5 }), 'spec.targetRef.port', /expected int/);
  });

  it('refuses a typo inside targetRef', () => {
    rejectAt(cache({ kind: 'Service', nmae: 'catalog', name: 'catalog' }), 'spec.targetRef.nmae', /unknown field/);
  });
});

// FAILS until fixed (see the report): formatIssues turns a missing field into "is required" only when zod's
// *default* message says "received undefined". A number with its own type message
// (`z.number({ error: 'must be a number' })`) says "must be a number" instead, and a missing enum says
// "Invalid option: expected one of ...".
describe('missing required fields', () => {
  it('say "is required", whatever their type', () => {
    rejectAt(resource('RetryPolicy', { targetRef: target() }), 'spec.attempts', /^is required$/);
    rejectAt(resource('RateLimitPolicy', { targetRef: target() }), 'spec.requestsPerSecond', /^is required$/);
    rejectAt(resource('FaultPolicy', { targetRef: target(), abort: { httpStatus: 503 } }), 'spec.abort.percentage', /^is required$/);
    rejectAt(resource('LoadBalancerPolicy', { targetRef: target() }), 'spec.algorithm', /^is required$/);
    rejectAt(resource('AuthorizationPolicy', { targetRef: target(), rules: [{ from: ['cart'] }] }), 'spec.action', /^is required$/);
  });

  it('still say what type is wanted when a value of the wrong type is given', () => {
    rejectAt(resource('RetryPolicy', { targetRef: target(), attempts: 'three' }), 'spec.attempts', /must be a number/);
    rejectAt(resource('TimeoutPolicy', { targetRef: target(), request: 2000 }), 'spec.request', /expected string/);
    rejectAt(resource('LoadBalancerPolicy', { targetRef: target(), algorithm: 'Random' }), 'spec.algorithm', /expected one of/);
  });
});

describe('resolveKind', () => {
  it.each([
    ['retrypolicies', 'RetryPolicy'],
    ['RetryPolicies', 'RetryPolicy'],
    ['retrypolicy', 'RetryPolicy'],
    ['RetryPolicy', 'RetryPolicy'],
    ['services', 'Service'],
    ['service', 'Service'],
    ['trafficsplits', 'TrafficSplit'],
    ['TRAFFICSPLIT', 'TrafficSplit'],
    ['ratelimitpolicies', 'RateLimitPolicy'],
    ['circuitbreakerpolicies', 'CircuitBreakerPolicy'],
    ['loadbalancerpolicy', 'LoadBalancerPolicy'],
    ['faultpolicies', 'FaultPolicy'],
    ['mirrorpolicies', 'MirrorPolicy'],
    ['cachepolicies', 'CachePolicy'],
    ['timeoutpolicies', 'TimeoutPolicy'],
    ['authorizationpolicies', 'AuthorizationPolicy'],
  ])('resolves %s to %s', (text, kind) => {
    expect(resolveKind(text)).toBe(kind);
  });

  it('resolves every kind from its lowercase plural', () => {
    for (const kind of RESOURCE_KINDS) {
      const lower = kind.toLowerCase();
      expect(resolveKind(lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`)).toBe(kind);
    }
  });

  it.each(['policies', 'gateway', '', 'retry', 'toString'])('knows no kind %j', (text) => {
    expect(resolveKind(text)).toBeUndefined();
  });
});

describe('kind lists and keys', () => {
  it('lists the thirteen kinds, and every one but Service as a policy', () => {
    expect(RESOURCE_KINDS).toHaveLength(13);
    expect(POLICY_KINDS).toEqual(RESOURCE_KINDS.filter((k) => k !== 'Service'));
    expect(POLICY_KINDS).not.toContain('Service');
  });

  it('isResourceKind checks own kinds only', () => {
    expect(isResourceKind('TrafficSplit')).toBe(true);
    expect(isResourceKind('trafficsplit')).toBe(false);
    expect(isResourceKind('hasOwnProperty')).toBe(false);
    expect(isResourceKind(undefined)).toBe(false);
  });

  it('resourceKey is kind/namespace/name, namespace defaulting to "default"', () => {
    expect(resourceKey({ kind: 'RetryPolicy', metadata: { name: 'reviews-retries' } })).toBe('RetryPolicy/default/reviews-retries');
    expect(resourceKey({ kind: 'Service', metadata: { name: 'cart', namespace: 'shop' } })).toBe('Service/shop/cart');
  });
});

describe('formatPath and describeErrors', () => {
  it('writes paths the way users read them', () => {
    expect(formatPath(['spec', 'backends', 1, 'weight'])).toBe('spec.backends[1].weight');
    expect(formatPath(['spec', 'routes', 0, 'match', 'headers', 2, 'value'])).toBe('spec.routes[0].match.headers[2].value');
    expect(formatPath([0, 'name'])).toBe('[0].name');
    expect(formatPath(['metadata'])).toBe('metadata');
    expect(formatPath([])).toBe('');
  });

  it('joins errors as "path: message"', () => {
    expect(
      describeErrors([
        { path: 'spec.attempts', message: 'must be at most 10' },
        { path: '', message: 'a resource must be an object' },
      ]),
    ).toBe('spec.attempts: must be at most 10; a resource must be an object');
  });

  it('matches what parseResource reports', () => {
    const result = parseResource(resource('RetryPolicy', { targetRef: target(), attempts: 11 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(describeErrors(result.errors)).toBe('spec.attempts: must be at most 10');
  });

  it('reports every problem at once, not just the first', () => {
    const errors = reject(resource('FaultPolicy', { targetRef: target(), abort: { percentage: -1, httpStatus: 200 } }, { name: 'Bad' }));
    expect(errors.map((e) => e.path).sort()).toEqual(['metadata.name', 'spec.abort.httpStatus', 'spec.abort.percentage']);
  });
});
