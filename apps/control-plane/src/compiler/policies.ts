// Resource spec -> the compiled form a proxy applies (milliseconds, defaults filled). One function per kind.
import {
  ms,
  type CompiledAuthorization,
  type CompiledCache,
  type CompiledCircuitBreaker,
  type CompiledFault,
  type CompiledLoadBalancer,
  type CompiledMirror,
  type CompiledRateLimit,
  type CompiledRetry,
  type CompiledScaleFromZero,
  type CompiledSplit,
  type CompiledTimeout,
  type ResourceOf,
} from '@trellis/shared';

export function compileRetry(r: ResourceOf<'RetryPolicy'>): CompiledRetry {
  const s = r.spec;
  return {
    attempts: s.attempts,
    retryOn: s.retryOn,
    ...(s.perTryTimeout ? { perTryTimeoutMs: ms(s.perTryTimeout) } : {}),
    backoffBaseMs: ms(s.backoff.baseInterval),
    backoffMaxMs: ms(s.backoff.maxInterval),
    budgetRatio: s.budget.ratio,
    budgetMinPerSecond: s.budget.minRetriesPerSecond,
  };
}

export function compileTimeout(r: ResourceOf<'TimeoutPolicy'>): CompiledTimeout {
  return { requestMs: ms(r.spec.request), ...(r.spec.idle ? { idleMs: ms(r.spec.idle) } : {}) };
}

export function compileSplit(r: ResourceOf<'TrafficSplit'>): CompiledSplit {
  return { backends: r.spec.backends.map((b) => ({ name: b.name, selector: b.selector, weight: b.weight })) };
}

export function compileFault(r: ResourceOf<'FaultPolicy'>): CompiledFault {
  const { delay, abort } = r.spec;
  return {
    ...(delay ? { delay: { percentage: delay.percentage, ms: ms(delay.duration) } } : {}),
    ...(abort ? { abort: { percentage: abort.percentage, status: abort.httpStatus } } : {}),
  };
}

export function compileMirror(r: ResourceOf<'MirrorPolicy'>): CompiledMirror {
  return { selector: r.spec.selector, percentage: r.spec.percentage };
}

export function compileCircuitBreaker(r: ResourceOf<'CircuitBreakerPolicy'>): CompiledCircuitBreaker {
  const { limits, outlierDetection: o } = r.spec;
  return {
    ...(limits?.maxConnections ? { maxConnections: limits.maxConnections } : {}),
    ...(limits?.maxPendingRequests ? { maxPendingRequests: limits.maxPendingRequests } : {}),
    ...(limits?.maxRequests ? { maxRequests: limits.maxRequests } : {}),
    ...(o
      ? {
          outlier: {
            consecutiveErrors: o.consecutiveErrors,
            baseEjectionMs: ms(o.baseEjectionTime),
            maxEjectionMs: ms(o.maxEjectionTime),
            maxEjectionPercent: o.maxEjectionPercent,
          },
        }
      : {}),
  };
}

export const DEFAULT_LOAD_BALANCER: CompiledLoadBalancer = { algorithm: 'LeastRequest', localityAware: false };

export function compileLoadBalancer(r: ResourceOf<'LoadBalancerPolicy'>): CompiledLoadBalancer {
  return { algorithm: r.spec.algorithm, ...(r.spec.hashOn ? { hashOn: r.spec.hashOn } : {}), localityAware: r.spec.localityAware };
}

export function compileRateLimit(r: ResourceOf<'RateLimitPolicy'>): CompiledRateLimit {
  const s = r.spec;
  return {
    id: `${r.metadata.namespace}/${r.metadata.name}`,
    requestsPerSecond: s.requestsPerSecond,
    // Without an explicit burst, allow one second's worth (at least one request).
    burst: s.burst ?? Math.max(1, Math.ceil(s.requestsPerSecond)),
    key: s.key,
    mode: s.mode,
    failureMode: s.failureMode,
  };
}

export function compileCache(r: ResourceOf<'CachePolicy'>): CompiledCache {
  const s = r.spec;
  return {
    maxEntries: s.maxEntries,
    maxEntryBytes: s.maxEntryBytes,
    maxTotalBytes: s.maxTotalBytes,
    ...(s.defaultTtl ? { defaultTtlMs: ms(s.defaultTtl) } : {}),
  };
}

/** `sources` turns one `from` entry into what the proxy matches (service names become identities). */
export function compileAuthorization(r: ResourceOf<'AuthorizationPolicy'>, sources: (from: string) => string[]): CompiledAuthorization {
  return {
    id: `${r.metadata.namespace}/${r.metadata.name}`,
    action: r.spec.action,
    rules: r.spec.rules.map((rule) => ({
      from: [...new Set(rule.from.flatMap(sources))],
      ...(rule.paths ? { paths: rule.paths } : {}),
      ...(rule.methods ? { methods: rule.methods } : {}),
    })),
  };
}

/** ScaleToZeroPolicy, the callers' half: how long and how many requests they hold while the service has no endpoint. */
export function compileScaleFromZero(r: ResourceOf<'ScaleToZeroPolicy'>): CompiledScaleFromZero {
  return { holdMs: ms(r.spec.hold.timeout), maxHeld: r.spec.hold.maxRequests };
}
