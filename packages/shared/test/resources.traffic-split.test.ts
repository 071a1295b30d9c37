import { describe, expect, it } from 'vitest';
import { accept, reject, rejectAt, rejectIncluding, resource, target } from './support.ts';

const split = (backends: unknown, extra: Record<string, unknown> = {}) =>
  resource('TrafficSplit', { targetRef: target('reviews'), backends, ...extra }, { name: 'reviews-canary' });
const backend = (name: string, weight: unknown, selector: unknown = { version: name }) => ({ name, selector, weight });

describe('TrafficSplit', () => {
  it('accepts a canary: 90 to v1, 10 to v2', () => {
    const r = accept('TrafficSplit', split([backend('v1', 90), backend('v2', 10)]));
    expect(r.spec.backends).toEqual([
      { name: 'v1', selector: { version: 'v1' }, weight: 90 },
      { name: 'v2', selector: { version: 'v2' }, weight: 10 },
    ]);
    expect(r.spec.targetRef).toEqual({ kind: 'Service', name: 'reviews' });
  });

  it('accepts a single backend taking everything, and a backend at weight 0', () => {
    accept('TrafficSplit', split([backend('v1', 100)]));
    accept('TrafficSplit', split([backend('v1', 100), backend('v2', 0)]));
  });

  it('accepts a split on one route, and selectors with several labels', () => {
    const r = accept(
      'TrafficSplit',
      resource('TrafficSplit', {
        targetRef: target('reviews', { route: 'by-product' }),
        backends: [backend('v1', 50), backend('v2-eu', 50, { version: 'v2', zone: 'eu-west-1a' })],
      }),
    );
    expect(r.spec.targetRef.route).toBe('by-product');
  });

  it('refuses weights that do not add up to 100, saying what they add up to', () => {
    rejectAt(split([backend('v1', 50), backend('v2', 40)]), 'spec.backends', /weights must add up to 100 \(they add up to 90\)/);
    rejectAt(split([backend('v1', 90), backend('v2', 20)]), 'spec.backends', /add up to 110/);
    rejectAt(split([backend('v1', 0)]), 'spec.backends', /add up to 0/);
  });

  it('refuses a weight out of 0..100, naming that backend', () => {
    rejectIncluding(split([backend('v1', 150), backend('v2', -50)]), 'spec.backends[0].weight', /from 0 to 100/);
    rejectIncluding(split([backend('v1', 150), backend('v2', -50)]), 'spec.backends[1].weight', /from 0 to 100/);
  });

  it('refuses fractional weights', () => {
    const errors = reject(split([backend('v1', 33.5), backend('v2', 66.5)]));
    expect(errors).toEqual([
      { path: 'spec.backends[0].weight', message: 'must be a whole number' },
      { path: 'spec.backends[1].weight', message: 'must be a whole number' },
    ]);
  });

  it('refuses a weight written as text', () => {
    rejectAt(split([backend('v1', '100')]), 'spec.backends[0].weight', /expected number/);
  });

  it('refuses a missing weight', () => {
    rejectAt(split([{ name: 'v1', selector: { version: 'v1' } }]), 'spec.backends[0].weight', /^is required$/);
  });

  it('refuses no backends at all', () => {
    rejectIncluding(split([]), 'spec.backends', /needs at least one backend/);
  });

  it('refuses a backend listed twice, naming the second', () => {
    rejectAt(split([backend('v1', 50), backend('v1', 50, { version: 'v2' })]), 'spec.backends[1].name', /backend "v1" is listed twice/);
  });

  it('refuses an empty selector (it would select every endpoint)', () => {
    rejectAt(split([backend('v1', 100, {})]), 'spec.backends[0].selector', /must name at least one label/);
  });

  it('refuses a selector value that is not a label value, naming the label', () => {
    rejectAt(split([backend('v1', 100, { version: 'v 1' })]), 'spec.backends[0].selector.version', /Kubernetes label value/);
  });

  it('refuses a typo in a backend', () => {
    rejectAt(split([{ name: 'v1', selector: { version: 'v1' }, wieght: 100, weight: 100 }]), 'spec.backends[0].wieght', /unknown field/);
  });

  it('caps the number of backends at 16', () => {
    const many = Array.from({ length: 17 }, (_, i) => backend(`v${i}`, i === 0 ? 84 : 1));
    rejectAt(split(many), 'spec.backends', /<=16/);
  });
});
