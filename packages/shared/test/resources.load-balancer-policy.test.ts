import { describe, expect, it } from 'vitest';
import { LB_ALGORITHMS } from '../src/index.ts';
import { accept, rejectAt, resource, target } from './support.ts';

const lb = (spec: Record<string, unknown>) => resource('LoadBalancerPolicy', { targetRef: target('cart'), ...spec }, { name: 'cart-balancing' });

describe('LoadBalancerPolicy', () => {
  it('accepts a full example: sticky carts by cookie, zone-aware', () => {
    const r = accept('LoadBalancerPolicy', lb({ algorithm: 'ConsistentHash', hashOn: { cookie: 'session' }, localityAware: true }));
    expect(r.spec).toEqual({
      targetRef: { kind: 'Service', name: 'cart' },
      algorithm: 'ConsistentHash',
      hashOn: { cookie: 'session' },
      localityAware: true,
    });
  });

  it('accepts hashing on a header', () => {
    expect(accept('LoadBalancerPolicy', lb({ algorithm: 'ConsistentHash', hashOn: { header: 'x-user-id' } })).spec.hashOn).toEqual({
      header: 'x-user-id',
    });
  });

  it('accepts every algorithm but ConsistentHash without hashOn, filling in localityAware false', () => {
    for (const algorithm of LB_ALGORITHMS.filter((a) => a !== 'ConsistentHash')) {
      const r = accept('LoadBalancerPolicy', lb({ algorithm }));
      expect(r.spec.localityAware).toBe(false);
      expect(r.spec.hashOn).toBeUndefined();
    }
  });

  it('refuses ConsistentHash without hashOn', () => {
    rejectAt(lb({ algorithm: 'ConsistentHash' }), 'spec.hashOn', /is required with algorithm ConsistentHash \(a header or a cookie\)/);
  });

  it('refuses hashOn with any other algorithm', () => {
    rejectAt(lb({ algorithm: 'RoundRobin', hashOn: { header: 'x-user-id' } }), 'spec.hashOn', /applies to algorithm ConsistentHash only/);
  });

  it('refuses an unknown algorithm, listing the known ones', () => {
    const error = rejectAt(lb({ algorithm: 'Random' }), 'spec.algorithm', /expected one of/);
    for (const algorithm of LB_ALGORITHMS) expect(error.message).toContain(algorithm);
  });

  it('requires an algorithm', () => {
    // The message is checked with the other missing fields in resources.envelope.test.ts.
    rejectAt(lb({}), 'spec.algorithm', /.+/);
  });

  it('refuses localityAware that is not a boolean', () => {
    rejectAt(lb({ algorithm: 'RoundRobin', localityAware: 'yes' }), 'spec.localityAware', /expected boolean/);
  });

  // FAILS until fixed in src/resources/load-balancer-policy.ts (see the report): hashOn is a union of two
  // strict objects, so anything but exactly one of them gets zod's bare "Invalid input".
  it('says what hashOn wants when it holds both a header and a cookie, or neither', () => {
    rejectAt(lb({ algorithm: 'ConsistentHash', hashOn: { header: 'x-user-id', cookie: 'session' } }), 'spec.hashOn', /header or a cookie/);
    rejectAt(lb({ algorithm: 'ConsistentHash', hashOn: {} }), 'spec.hashOn', /header or a cookie/);
  });
});
