import type { CompiledRateLimit } from '@trellis/shared';
import { redisUrlProblem } from '../config/validate.ts';
import { GlobalRateLimiter } from './redis-limiter.ts';
import { LocalRateLimiter } from './token-bucket.ts';

/** What a limiter decided, counted for trellis_rate_limit_decisions_total. */
export interface Decisions {
  allowed: number;
  limited: number;
  /** Global mode: Redis did not answer, the failure mode decided. */
  unavailable: number;
}

export type Limiter = ({ kind: 'local'; limiter: LocalRateLimiter } | { kind: 'global'; limiter: GlobalRateLimiter }) & {
  policy: string;
  decisions: Decisions;
};

/**
 * The rate limiters of one workload, kept across snapshots by policy id, so a config push (which happens
 * whenever any endpoint changes) neither refills buckets nor forgets callers.
 */
export class LimiterRegistry {
  private limiters = new Map<string, Limiter>();
  private seen = new Set<string>();

  /** Starts a snapshot: limiters not asked for before end() are dropped. */
  begin(): void {
    this.seen = new Set();
  }

  get(policy: CompiledRateLimit, redisUrl: string | undefined): Limiter {
    const key = `${policy.mode}|${redisUrl ?? ''}|${policy.id}|${policy.key.type}`;
    this.seen.add(key);
    const found = this.limiters.get(key);
    if (found) {
      found.limiter.rate = policy.requestsPerSecond;
      found.limiter.burst = policy.burst;
      return found;
    }
    let limiter: Limiter;
    const counts = { policy: policy.id, decisions: { allowed: 0, limited: 0, unavailable: 0 } };
    if (policy.mode === 'Global') {
      if (!redisUrl) throw new Error(`rate limit ${policy.id} is Global but the snapshot names no Redis (mesh.redisUrl)`);
      const problem = redisUrlProblem(redisUrl);
      if (problem) throw new Error(problem);
      limiter = { kind: 'global', limiter: new GlobalRateLimiter(redisUrl, policy.id, policy.requestsPerSecond, policy.burst), ...counts };
    } else {
      limiter = { kind: 'local', limiter: new LocalRateLimiter(policy.requestsPerSecond, policy.burst), ...counts };
    }
    this.limiters.set(key, limiter);
    return limiter;
  }

  all(): IterableIterator<Limiter> {
    return this.limiters.values();
  }

  end(): void {
    for (const key of this.limiters.keys()) if (!this.seen.has(key)) this.limiters.delete(key);
  }
}
