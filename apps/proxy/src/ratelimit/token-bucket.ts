/** The outcome of taking one token. */
export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this one. */
  remaining: number;
  /** When refused: ms until a token is available. */
  retryAfterMs: number;
}

/** Distinct keys (callers, header values) one limiter tracks; beyond it the longest-idle key is dropped. */
const MAX_KEYS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in this proxy's memory, one per key: `rate` tokens per second up to `burst`. Refilled
 * lazily on take(), so idle keys cost nothing but their map entry.
 */
export class LocalRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    public rate: number,
    public burst: number,
  ) {}

  take(key: string, now: number): TakeResult {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_KEYS) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    }
    const tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
    bucket.at = now;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return { allowed: true, remaining: Math.floor(tokens - 1), retryAfterMs: 0 };
    }
    bucket.tokens = tokens;
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(((1 - tokens) * 1000) / this.rate) };
  }
}
