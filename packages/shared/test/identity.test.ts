import { describe, expect, it } from 'vitest';
import { identityMatcher, isIdentityPattern, parseSpiffeId, spiffeId } from '../src/index.ts';

describe('workload identities (SPIFFE IDs)', () => {
  it('writes and reads spiffe://<trust domain>/ns/<namespace>/sa/<service account>', () => {
    const id = spiffeId('trellis.local', 'shop', 'payments');
    expect(id).toBe('spiffe://trellis.local/ns/shop/sa/payments');
    expect(parseSpiffeId(id)).toEqual({ trustDomain: 'trellis.local', namespace: 'shop', serviceAccount: 'payments' });
  });

  it('reads nothing else as one', () => {
    for (const bad of ['https://trellis.local/ns/a/sa/b', 'spiffe://trellis.local/ns/a', 'spiffe://trellis.local/ns/a/sa/b/c', 'spiffe://Trellis/ns/a/sa/b', 'spiffe://t/pods/a/sa/b', 'spiffe://t/ns//sa/b']) {
      expect(parseSpiffeId(bad), bad).toBeUndefined();
    }
  });

  it('matches patterns segment by segment, a trailing "*" covering the rest', () => {
    const cart = 'spiffe://trellis.local/ns/shop/sa/cart';
    expect(identityMatcher(cart)(cart)).toBe(true);
    expect(identityMatcher('spiffe://trellis.local/ns/shop/*')(cart)).toBe(true);
    expect(identityMatcher('spiffe://trellis.local/ns/*/sa/cart')(cart)).toBe(true);
    expect(identityMatcher('spiffe://*/ns/shop/sa/cart')(cart)).toBe(true);
    expect(identityMatcher('spiffe://trellis.local/ns/other/*')(cart)).toBe(false);
    expect(identityMatcher('spiffe://trellis.local/ns/*/sa/payments')(cart)).toBe(false);
    expect(identityMatcher('spiffe://other.domain/ns/shop/*')(cart)).toBe(false);
    // "*" in the middle is one segment, not several.
    expect(identityMatcher('spiffe://trellis.local/*/sa/cart')(cart)).toBe(false);
  });

  it('knows a pattern from other text', () => {
    expect(isIdentityPattern('spiffe://trellis.local/ns/shop/*')).toBe(true);
    expect(isIdentityPattern('spiffe://trellis.local/ns/shop/sa/cart')).toBe(true);
    expect(isIdentityPattern('spiffe://trellis.local')).toBe(false);
    expect(isIdentityPattern('cart.shop')).toBe(false);
    expect(isIdentityPattern('spiffe://trellis.local/ns/Shop/*')).toBe(false);
  });
});
