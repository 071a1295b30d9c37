import { describe, expect, it } from 'vitest';
import { accept, rejectAt, rejectIncluding, resource, target } from './support.ts';

const rateLimit = (spec: Record<string, unknown>) =>
  resource('RateLimitPolicy', { targetRef: target('catalog'), ...spec }, { name: 'catalog-rate-limit' });

describe('RateLimitPolicy', () => {
  it('accepts a full example: a global bucket per calling service', () => {
    const r = accept(
      'RateLimitPolicy',
      rateLimit({ requestsPerSecond: 100, burst: 200, key: { type: 'SourceService' }, mode: 'Global', failureMode: 'Closed' }),
    );
    expect(r.spec).toEqual({
      targetRef: { kind: 'Service', name: 'catalog' },
      requestsPerSecond: 100,
      burst: 200,
      key: { type: 'SourceService' },
      mode: 'Global',
      failureMode: 'Closed',
    });
  });

  it('fills in key None, mode Local and failureMode Open for a minimal policy', () => {
    const r = accept('RateLimitPolicy', rateLimit({ requestsPerSecond: 10 }));
    expect(r.spec.key).toEqual({ type: 'None' });
    expect(r.spec.mode).toBe('Local');
    expect(r.spec.failureMode).toBe('Open');
    expect(r.spec.burst).toBeUndefined();
  });

  it('accepts fractional rates (one request every two seconds) and a bucket per header value', () => {
    const r = accept('RateLimitPolicy', rateLimit({ requestsPerSecond: 0.5, key: { type: 'Header', header: 'x-api-key' } }));
    expect(r.spec.key).toEqual({ type: 'Header', header: 'x-api-key' });
  });

  it('wants a positive rate', () => {
    rejectAt(rateLimit({ requestsPerSecond: 0 }), 'spec.requestsPerSecond', /must be greater than 0/);
    rejectAt(rateLimit({ requestsPerSecond: -5 }), 'spec.requestsPerSecond', /must be greater than 0/);
  });

  it('caps the rate and refuses text or infinity', () => {
    rejectAt(rateLimit({ requestsPerSecond: 2_000_000 }), 'spec.requestsPerSecond', /must be at most 1000000/);
    rejectAt(rateLimit({ requestsPerSecond: '10' }), 'spec.requestsPerSecond', /must be a number/);
    rejectAt(rateLimit({ requestsPerSecond: Number.POSITIVE_INFINITY }), 'spec.requestsPerSecond', /must be a number/);
  });

  it('wants a burst of at least 1, as a whole number', () => {
    rejectAt(rateLimit({ requestsPerSecond: 10, burst: 0 }), 'spec.burst', /must be at least 1/);
    rejectAt(rateLimit({ requestsPerSecond: 10, burst: 1.5 }), 'spec.burst', /must be a whole number/);
  });

  it('wants a header name with key type Header', () => {
    rejectAt(rateLimit({ requestsPerSecond: 10, key: { type: 'Header' } }), 'spec.key.header', /^is required$/);
    rejectAt(rateLimit({ requestsPerSecond: 10, key: { type: 'Header', header: '' } }), 'spec.key.header', />=1 characters/);
  });

  it('refuses unknown key types, modes and failure modes', () => {
    rejectIncluding(rateLimit({ requestsPerSecond: 10, key: { type: 'ClientIp' } }), 'spec.key.type', /None.*SourceService.*Header/);
    rejectAt(rateLimit({ requestsPerSecond: 10, mode: 'Cluster' }), 'spec.mode', /expected one of "Local"\|"Global"/);
    rejectAt(rateLimit({ requestsPerSecond: 10, failureMode: 'Fail' }), 'spec.failureMode', /"Open"\|"Closed"/);
  });

  it('refuses a header on a key type that has none', () => {
    rejectAt(rateLimit({ requestsPerSecond: 10, key: { type: 'None', header: 'x' } }), 'spec.key.header', /unknown field/);
  });

  it('refuses a typo', () => {
    rejectAt(rateLimit({ requestPerSecond: 10, requestsPerSecond: 10 }), 'spec.requestPerSecond', /unknown field spec\.requestPerSecond/);
  });
});
