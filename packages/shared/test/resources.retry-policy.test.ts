import { describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, RETRY_ON } from '../src/index.ts';
import { accept, rejectAt, rejectIncluding, resource, target } from './support.ts';

const retry = (spec: Record<string, unknown>) => resource('RetryPolicy', { targetRef: target('ratings'), ...spec }, { name: 'ratings-retries' });

describe('RetryPolicy', () => {
  it('accepts a full example', () => {
    const r = accept(
      'RetryPolicy',
      retry({
        attempts: 4,
        retryOn: ['5xx', 'connect-failure', 'reset', 'retriable-429', 'gateway-error'],
        perTryTimeout: '500ms',
        backoff: { baseInterval: '50ms', maxInterval: '1s' },
        budget: { ratio: 0.1, minRetriesPerSecond: 5 },
      }),
    );
    expect(r.spec).toEqual({
      targetRef: { kind: 'Service', name: 'ratings' },
      attempts: 4,
      retryOn: ['5xx', 'connect-failure', 'reset', 'retriable-429', 'gateway-error'],
      perTryTimeout: '500ms',
      backoff: { baseInterval: '50ms', maxInterval: '1s' },
      budget: { ratio: 0.1, minRetriesPerSecond: 5 },
    });
  });

  it('fills in retryOn, backoff and budget defaults for a minimal policy', () => {
    const r = accept('RetryPolicy', retry({ attempts: 3 }));
    expect(r.spec.retryOn).toEqual(['5xx', 'connect-failure', 'reset']);
    expect(r.spec.backoff).toEqual({ baseInterval: '25ms', maxInterval: '250ms' });
    expect(r.spec.budget).toEqual({ ratio: 0.2, minRetriesPerSecond: 10 });
    expect(r.spec.perTryTimeout).toBeUndefined();
  });

  it('fills in the rest of a partly written backoff and budget', () => {
    const r = accept('RetryPolicy', retry({ attempts: 3, backoff: { maxInterval: '2s' }, budget: { ratio: 0.5 } }));
    expect(r.spec.backoff).toEqual({ baseInterval: '25ms', maxInterval: '2s' });
    expect(r.spec.budget).toEqual({ ratio: 0.5, minRetriesPerSecond: 10 });
  });

  it(`caps attempts at ${MAX_ATTEMPTS}`, () => {
    accept('RetryPolicy', retry({ attempts: MAX_ATTEMPTS }));
    rejectAt(retry({ attempts: MAX_ATTEMPTS + 1 }), 'spec.attempts', /must be at most 10/);
    rejectAt(retry({ attempts: 1000 }), 'spec.attempts', /must be at most 10/);
  });

  it('wants at least one attempt, as a whole number', () => {
    accept('RetryPolicy', retry({ attempts: 1 }));
    rejectAt(retry({ attempts: 0 }), 'spec.attempts', /must be at least 1/);
    rejectAt(retry({ attempts: 2.5 }), 'spec.attempts', /must be a whole number/);
    rejectAt(retry({ attempts: '3' }), 'spec.attempts', /must be a number/);
  });

  it('refuses unknown retry conditions, listing the known ones', () => {
    const error = rejectAt(retry({ attempts: 3, retryOn: ['5xx', '503'] }), 'spec.retryOn[1]', /expected one of/);
    for (const condition of RETRY_ON) expect(error.message).toContain(condition);
  });

  it('refuses an empty retryOn', () => {
    rejectAt(retry({ attempts: 3, retryOn: [] }), 'spec.retryOn', /name at least one condition/);
  });

  it('refuses malformed durations, showing how to write one', () => {
    rejectAt(retry({ attempts: 3, perTryTimeout: '2 seconds' }), 'spec.perTryTimeout', /"2 seconds" is not a duration; write it like "250ms"/);
    rejectAt(retry({ attempts: 3, perTryTimeout: '-1s' }), 'spec.perTryTimeout', /"-1s" is not a duration/);
    rejectAt(retry({ attempts: 3, backoff: { baseInterval: '25' } }), 'spec.backoff.baseInterval', /"25" is not a duration/);
  });

  it('refuses durations out of bounds, stating the bounds', () => {
    rejectAt(retry({ attempts: 3, perTryTimeout: '0ms' }), 'spec.perTryTimeout', /must be between 1ms and 5m \(got 0ms\)/);
    rejectAt(retry({ attempts: 3, perTryTimeout: '6m' }), 'spec.perTryTimeout', /between 1ms and 5m \(got 6m\)/);
    rejectAt(retry({ attempts: 3, backoff: { baseInterval: '2m', maxInterval: '3m' } }), 'spec.backoff.baseInterval', /between 1ms and 1m/);
  });

  it('refuses a maxInterval shorter than the baseInterval', () => {
    rejectAt(
      retry({ attempts: 3, backoff: { baseInterval: '1s', maxInterval: '100ms' } }),
      'spec.backoff.maxInterval',
      /must not be shorter than backoff\.baseInterval/,
    );
    // Equal is fine: a constant backoff.
    accept('RetryPolicy', retry({ attempts: 3, backoff: { baseInterval: '100ms', maxInterval: '100ms' } }));
  });

  it('refuses a budget ratio outside 0..1 and a negative floor', () => {
    rejectAt(retry({ attempts: 3, budget: { ratio: 1.5 } }), 'spec.budget.ratio', /from 0 to 1/);
    rejectAt(retry({ attempts: 3, budget: { ratio: 20 } }), 'spec.budget.ratio', /from 0 to 1/);
    rejectIncluding(retry({ attempts: 3, budget: { minRetriesPerSecond: -1 } }), 'spec.budget.minRetriesPerSecond', />=0/);
  });

  it('refuses typos, naming the field', () => {
    rejectAt(retry({ attempts: 3, retyOn: ['5xx'] }), 'spec.retyOn', /unknown field spec\.retyOn/);
    rejectAt(retry({ attempts: 3, backoff: { base: '10ms' } }), 'spec.backoff.base', /unknown field spec\.backoff\.base/);
  });

  it('reports every problem at once', () => {
    const errors = rejectIncluding(
      retry({ attempts: 11, backoff: { baseInterval: '1s', maxInterval: '100ms' } }),
      'spec.attempts',
      /at most 10/,
    );
    expect(errors.map((e) => e.path)).toEqual(['spec.attempts', 'spec.backoff.maxInterval']);
  });
});
