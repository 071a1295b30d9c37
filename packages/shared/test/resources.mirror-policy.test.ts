import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const mirror = (spec: Record<string, unknown>) => resource('MirrorPolicy', { targetRef: target('reviews'), ...spec }, { name: 'reviews-shadow' });

describe('MirrorPolicy', () => {
  it('accepts a full example: a fifth of the requests copied to v2', () => {
    const r = accept('MirrorPolicy', mirror({ selector: { version: 'v2' }, percentage: 20 }));
    expect(r.spec).toEqual({ targetRef: { kind: 'Service', name: 'reviews' }, selector: { version: 'v2' }, percentage: 20 });
  });

  it('mirrors every request when no percentage is given', () => {
    expect(accept('MirrorPolicy', mirror({ selector: { version: 'v2' } })).spec.percentage).toBe(100);
  });

  it('requires a selector with at least one label', () => {
    rejectAt(mirror({ percentage: 10 }), 'spec.selector', /^is required$/);
    rejectAt(mirror({ selector: {} }), 'spec.selector', /must name at least one label/);
  });

  it('refuses percentages outside 0..100', () => {
    rejectAt(mirror({ selector: { version: 'v2' }, percentage: 101 }), 'spec.percentage', /from 0 to 100/);
    rejectAt(mirror({ selector: { version: 'v2' }, percentage: -5 }), 'spec.percentage', /from 0 to 100/);
  });

  it('refuses a selector label value that is not a label value', () => {
    rejectAt(mirror({ selector: { version: 'v2 beta' } }), 'spec.selector.version', /Kubernetes label value/);
  });

  it('refuses a typo', () => {
    rejectAt(mirror({ selector: { version: 'v2' }, percent: 10 }), 'spec.percent', /unknown field spec\.percent/);
  });
});
