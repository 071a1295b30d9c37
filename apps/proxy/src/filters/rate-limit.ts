import type { CompiledRateLimit } from '@trellis/shared';
import { proxyError } from '../http/response.ts';
import type { HeaderMap } from '../http/headers.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';
import type { LimiterRegistry } from '../ratelimit/registry.ts';
import type { TakeResult } from '../ratelimit/token-bucket.ts';

function keyFor(policy: CompiledRateLimit): (req: ProxyRequest) => string {
  switch (policy.key.type) {
    case 'None':
      return () => '';
    case 'SourceService':
      return (req) => req.source;
    case 'Header': {
      const name = policy.key.header.toLowerCase();
      return (req) => req.header(name) ?? '';
    }
  }
}

/** RateLimit headers (IETF httpapi draft, the widely deployed three-header form) plus Retry-After. */
function limitHeaders(policy: CompiledRateLimit, result: TakeResult): HeaderMap {
  const resetSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  return {
    'retry-after': String(resetSeconds),
    'ratelimit-limit': String(policy.requestsPerSecond),
    'ratelimit-remaining': String(result.remaining),
    'ratelimit-reset': String(resetSeconds),
    'ratelimit-policy': `${policy.requestsPerSecond};w=1;burst=${policy.burst}`,
  };
}

/**
 * Inbound rate limit: a token bucket per key, in this proxy (Local) or shared through Redis (Global).
 * Over the limit: 429 with Retry-After. Redis unreachable: failureMode Open lets requests through,
 * Closed refuses them with 503 rate-limiter-unavailable.
 */
export function createRateLimit(policy: CompiledRateLimit | undefined, limiters: LimiterRegistry, redisUrl: string | undefined): Middleware | null {
  if (!policy) return null;
  const keyOf = keyFor(policy);
  const limiter = limiters.get(policy, redisUrl);
  const decisions = limiter.decisions;
  const refuse = (req: ProxyRequest, result: TakeResult) => {
    decisions.limited++;
    req.outcome.rateLimited = true;
    return proxyError('rate-limited', `${policy.requestsPerSecond} requests per second (${policy.id})`, { headers: limitHeaders(policy, result) });
  };
  if (limiter.kind === 'local') {
    const local = limiter.limiter;
    return (next) => (req) => {
      const result = local.take(keyOf(req), performance.now());
      if (!result.allowed) return Promise.resolve(refuse(req, result));
      decisions.allowed++;
      return next(req);
    };
  }
  const global = limiter.limiter;
  return (next) => async (req) => {
    const result = await global.take(keyOf(req));
    if (result === undefined) {
      decisions.unavailable++;
      if (policy.failureMode === 'Open') return next(req);
      return proxyError('rate-limiter-unavailable', `Redis did not answer for ${policy.id}; failureMode is Closed`);
    }
    if (!result.allowed) return refuse(req, result);
    decisions.allowed++;
    return next(req);
  };
}
