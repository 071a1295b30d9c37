import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const breaker = (spec: Record<string, unknown>) =>
  resource('CircuitBreakerPolicy', { targetRef: target('ratings'), ...spec }, { name: 'ratings-breaker' });

describe('CircuitBreakerPolicy', () => {
  it('accepts a full example: limits and outlier detection', () => {
    const r = accept(
      'CircuitBreakerPolicy',
      breaker({
        limits: { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200 },
        outlierDetection: { consecutiveErrors: 3, baseEjectionTime: '10s', maxEjectionTime: '2m', maxEjectionPercent: 30 },
      }),
    );
    expect(r.spec.limits).toEqual({ maxConnections: 100, maxPendingRequests: 50, maxRequests: 200 });
    expect(r.spec.outlierDetection).toEqual({ consecutiveErrors: 3, baseEjectionTime: '10s', maxEjectionTime: '2m', maxEjectionPercent: 30 });
  });

  it('fills in outlier detection defaults', () => {
    const r = accept('CircuitBreakerPolicy', breaker({ outlierDetection: {} }));
    expect(r.spec.outlierDetection).toEqual({ consecutiveErrors: 5, baseEjectionTime: '30s', maxEjectionTime: '5m', maxEjectionPercent: 50 });
    expect(r.spec.limits).toBeUndefined();
  });

  it('accepts limits alone', () => {
    const r = accept('CircuitBreakerPolicy', breaker({ limits: { maxRequests: 10 } }));
    expect(r.spec.outlierDetection).toBeUndefined();
  });

  it('refuses a policy that sets neither limits nor outlier detection', () => {
    rejectAt(breaker({}), 'spec.limits', /set limits, outlierDetection, or both/);
  });

  // FAILS until fixed in src/resources/circuit-breaker-policy.ts (see the report): `limits: {}` passes the
  // "set limits, outlierDetection, or both" check but limits nothing, so the policy does nothing at all.
  it('refuses empty limits with no outlier detection: a breaker that limits nothing', () => {
    rejectAt(breaker({ limits: {} }), 'spec.limits', /at least one of maxConnections, maxPendingRequests, maxRequests/);
  });

  it('wants limits of at least 1, as whole numbers', () => {
    rejectAt(breaker({ limits: { maxConnections: 0 } }), 'spec.limits.maxConnections', /must be at least 1/);
    rejectAt(breaker({ limits: { maxRequests: 2.5 } }), 'spec.limits.maxRequests', /must be a whole number/);
    rejectAt(breaker({ limits: { maxPendingRequests: 2_000_000 } }), 'spec.limits.maxPendingRequests', /<=1000000/);
  });

  it('refuses maxEjectionPercent outside 0..100', () => {
    rejectAt(breaker({ outlierDetection: { maxEjectionPercent: 120 } }), 'spec.outlierDetection.maxEjectionPercent', /from 0 to 100/);
    rejectAt(breaker({ outlierDetection: { maxEjectionPercent: -1 } }), 'spec.outlierDetection.maxEjectionPercent', /from 0 to 100/);
  });

  it('wants at least one consecutive error before ejecting', () => {
    rejectAt(breaker({ outlierDetection: { consecutiveErrors: 0 } }), 'spec.outlierDetection.consecutiveErrors', /must be at least 1/);
  });

  it('refuses malformed and out-of-bounds ejection times', () => {
    rejectAt(breaker({ outlierDetection: { baseEjectionTime: '30 s' } }), 'spec.outlierDetection.baseEjectionTime', /not a duration/);
    rejectAt(breaker({ outlierDetection: { baseEjectionTime: '50ms' } }), 'spec.outlierDetection.baseEjectionTime', /between 100ms and 1h \(got 50ms\)/);
    rejectAt(breaker({ outlierDetection: { maxEjectionTime: '2h' } }), 'spec.outlierDetection.maxEjectionTime', /between 100ms and 1h/);
  });

  // FAILS until fixed in src/resources/circuit-breaker-policy.ts (see the report). RetryPolicy refuses a
  // backoff.maxInterval shorter than baseInterval; the same contradiction here is accepted silently.
  it('refuses a maxEjectionTime shorter than the baseEjectionTime', () => {
    rejectAt(
      breaker({ outlierDetection: { baseEjectionTime: '10m', maxEjectionTime: '1s' } }),
      'spec.outlierDetection.maxEjectionTime',
      /must not be shorter than outlierDetection\.baseEjectionTime/,
    );
  });

  it('refuses typos, naming the field', () => {
    rejectAt(breaker({ limits: { maxConnection: 10, maxRequests: 5 } }), 'spec.limits.maxConnection', /unknown field/);
    rejectAt(breaker({ outlierDetection: { consecutive5xx: 3 } }), 'spec.outlierDetection.consecutive5xx', /unknown field/);
  });
});
