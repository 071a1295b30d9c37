import type { CompiledCircuitBreaker, CompiledRetry } from '@trellis/shared';

// What every proxy does with no policy written (docs/PROXY.md, "Failure behaviour"): Linkerd's safe
// defaults. Policies replace them; they never stack.

/**
 * Failure accrual: an endpoint that fails five times in a row (a 5xx, or no answer at all) is set aside
 * for 5 s, longer each time it does it again (up to a minute), then tried again; at most half of a
 * service's endpoints are ever set aside. A CircuitBreakerPolicy's outlierDetection replaces this.
 */
export const DEFAULT_OUTLIER: NonNullable<CompiledCircuitBreaker['outlier']> = {
  consecutiveErrors: 5,
  baseEjectionMs: 5_000,
  maxEjectionMs: 60_000,
  maxEjectionPercent: 50,
};

/**
 * One more try on another endpoint when retrying is safe: for any method when the request provably reached
 * no app (the connection could not be made, or the destination's proxy could not reach its app), and for
 * idempotent methods (GET, PUT, DELETE, ...) when a connection broke mid-way, as RFC 9110 §9.2.2 allows.
 * Budgeted like any retry. A RetryPolicy replaces this.
 */
export const SAFE_RETRY: CompiledRetry = {
  attempts: 2,
  retryOn: ['connect-failure', 'reset'],
  backoffBaseMs: 0,
  backoffMaxMs: 0,
  budgetRatio: 0.2,
  budgetMinPerSecond: 10,
};
