import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const fault = (spec: Record<string, unknown>) => resource('FaultPolicy', { targetRef: target('ratings'), ...spec }, { name: 'ratings-chaos' });

describe('FaultPolicy', () => {
  it('accepts a full example: delays and aborts', () => {
    const r = accept('FaultPolicy', fault({ delay: { percentage: 10, duration: '2s' }, abort: { percentage: 5, httpStatus: 503 } }));
    expect(r.spec.delay).toEqual({ percentage: 10, duration: '2s' });
    expect(r.spec.abort).toEqual({ percentage: 5, httpStatus: 503 });
  });

  it('accepts a delay alone and an abort alone, with fractional and edge percentages', () => {
    expect(accept('FaultPolicy', fault({ delay: { percentage: 0.5, duration: '100ms' } })).spec.abort).toBeUndefined();
    expect(accept('FaultPolicy', fault({ abort: { percentage: 100, httpStatus: 400 } })).spec.delay).toBeUndefined();
    accept('FaultPolicy', fault({ abort: { percentage: 0, httpStatus: 599 } }));
  });

  it('refuses a policy with neither delay nor abort', () => {
    rejectAt(fault({}), 'spec.delay', /set delay, abort, or both/);
  });

  it('refuses percentages outside 0..100', () => {
    rejectAt(fault({ delay: { percentage: 150, duration: '1s' } }), 'spec.delay.percentage', /from 0 to 100/);
    rejectAt(fault({ abort: { percentage: -1, httpStatus: 503 } }), 'spec.abort.percentage', /from 0 to 100/);
    rejectAt(fault({ abort: { percentage: '10%', httpStatus: 503 } }), 'spec.abort.percentage', /must be a number from 0 to 100/);
  });

  it('wants an abort status from 400 to 599', () => {
    rejectAt(fault({ abort: { percentage: 5, httpStatus: 200 } }), 'spec.abort.httpStatus', /must be from 400 to 599/);
    rejectAt(fault({ abort: { percentage: 5, httpStatus: 600 } }), 'spec.abort.httpStatus', /must be from 400 to 599/);
  });

  it('refuses malformed and too long delays', () => {
    rejectAt(fault({ delay: { percentage: 10, duration: '2 seconds' } }), 'spec.delay.duration', /not a duration/);
    rejectAt(fault({ delay: { percentage: 10, duration: '-1s' } }), 'spec.delay.duration', /not a duration/);
    rejectAt(fault({ delay: { percentage: 10, duration: '2m' } }), 'spec.delay.duration', /between 1ms and 1m \(got 2m\)/);
  });

  it('requires a delay duration', () => {
    rejectAt(fault({ delay: { percentage: 10 } }), 'spec.delay.duration', /^is required$/);
  });

  it('refuses a typo', () => {
    rejectAt(fault({ abort: { percentage: 5, status: 503, httpStatus: 503 } }), 'spec.abort.status', /unknown field spec\.abort\.status/);
  });
});
