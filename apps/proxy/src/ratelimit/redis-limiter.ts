import type { Redis } from 'ioredis';
import type { TakeResult } from './token-bucket.ts';

// One token bucket per key, kept in Redis and updated atomically by this script, so every proxy of the
// service draws from the same bucket. Redis's own clock is used: proxies' clocks may disagree.
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, math.floor(tokens), wait}
`;

/** How long one Redis call may take before the limiter counts Redis as unavailable. */
const DECISION_TIMEOUT_MS = 100;
/** Commands still unanswered after this are dropped by ioredis (a hung Redis must not pile them up). */
const COMMAND_TIMEOUT_MS = 2000;

type RedisWithTake = Redis & { trellisTake(key: string, rate: number, burst: number): Promise<[number, number, number]> };

/** One Redis connection per URL, shared by the global limiters of a process. */
const connections = new Map<string, Promise<RedisWithTake>>();

async function connect(url: string): Promise<RedisWithTake> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    // Fail fast instead of queueing while Redis is away: the failure mode decides, not a growing queue.
    enableOfflineQueue: false,
    // Commands issued in the same tick go out in one write.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  // Connection errors are expected while Redis is down; the limiter reports them through its failure mode.
  redis.on('error', () => undefined);
  redis.defineCommand('trellisTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  return redis as RedisWithTake;
}

/** Closes every Redis connection (at shutdown). */
export async function closeRedisConnections(): Promise<void> {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map(async (p) => (await p).quit().catch(() => undefined)));
}

/** A token bucket shared through Redis by every proxy that uses the same policy id. */
export class GlobalRateLimiter {
  private readonly redis: Promise<RedisWithTake>;

  constructor(
    url: string,
    private readonly id: string,
    public rate: number,
    public burst: number,
  ) {
    let redis = connections.get(url);
    if (!redis) connections.set(url, (redis = connect(url)));
    this.redis = redis;
  }

  /**
   * Takes a token, or returns undefined when Redis does not answer within DECISION_TIMEOUT_MS (the
   * caller applies the failure mode).
   */
  take(key: string): Promise<TakeResult | undefined> {
    return new Promise((resolve) => {
      let decided = false;
      const decide = (result: TakeResult | undefined) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        resolve(result);
      };
      // The deadline is checked one turn later (setImmediate runs after the I/O phase): on a busy event
      // loop the answer may already be read but not yet handled when the timer fires, and a busy proxy
      // must not fail open because of its own lag.
      const timer = setTimeout(() => setImmediate(() => decide(undefined)), DECISION_TIMEOUT_MS);
      this.redis
        .then((redis) => redis.trellisTake(`trellis:ratelimit:${this.id}:${key}`, this.rate, this.burst))
        .then(
          ([allowed, remaining, wait]) => decide({ allowed: allowed === 1, remaining, retryAfterMs: wait }),
          () => decide(undefined),
        );
    });
  }
}
