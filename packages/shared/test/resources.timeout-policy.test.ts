import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const timeout = (spec: Record<string, unknown>) => resource('TimeoutPolicy', { targetRef: target('payments'), ...spec }, { name: 'payments-timeout' });

describe('TimeoutPolicy', () => {
  it('accepts a full example, keeping the durations as written', () => {
    const r = accept('TimeoutPolicy', timeout({ request: '3s', idle: '1.5s' }));
    expect(r.spec).toEqual({ targetRef: { kind: 'Service', name: 'payments' }, request: '3s', idle: '1.5s' });
  });

  it('accepts a minimal one (request only) on a route', () => {
    const r = accept('TimeoutPolicy', resource('TimeoutPolicy', { targetRef: target('payments', { route: 'charge' }), request: '250ms' }));
    expect(r.spec.idle).toBeUndefined();
    expect(r.spec.targetRef.route).toBe('charge');
  });

  it('accepts every unit and the bounds themselves', () => {
    for (const request of ['1ms', '250ms', '2s', '1.5m', '1h', '3600s']) accept('TimeoutPolicy', timeout({ request }));
  });

  it('requires request', () => {
    rejectAt(timeout({ idle: '1s' }), 'spec.request', /^is required$/);
  });

  it.each(['2 seconds', '-1s', '2', 's', '1.s', '.5s', '2S', '1d', '1e3ms', '2s500ms', ''])('refuses the malformed duration %j', (request) => {
    rejectAt(timeout({ request }), 'spec.request', /is not a duration; write it like "250ms", "2s" or "1m"/);
  });

  it('refuses a number of milliseconds: durations carry their unit', () => {
    rejectAt(timeout({ request: 2000 }), 'spec.request', /expected string/);
  });

  it('refuses durations out of bounds (1ms..1h), stating them', () => {
    rejectAt(timeout({ request: '0s' }), 'spec.request', /must be between 1ms and 1h \(got 0s\)/);
    rejectAt(timeout({ request: '0.5ms' }), 'spec.request', /between 1ms and 1h/);
    rejectAt(timeout({ request: '61m' }), 'spec.request', /between 1ms and 1h \(got 61m\)/);
    rejectAt(timeout({ request: '2s', idle: '2h' }), 'spec.idle', /between 1ms and 1h \(got 2h\)/);
  });

  it('refuses a typo', () => {
    rejectAt(timeout({ request: '2s', idel: '1s' }), 'spec.idel', /unknown field spec\.idel/);
  });
});
