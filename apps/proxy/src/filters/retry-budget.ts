const WINDOW_MS = 1000;

/**
 * Retries allowed as a share of live requests plus a floor per second (linkerd's and Envoy's retry
 * budget). Counts live in a sliding one-second window made of two fixed buckets, the older one weighted
 * by how much of it still overlaps the window: O(1), no timers, no arrays.
 */
export class RetryBudget {
  private windowStart = 0;
  private requests = 0;
  private retries = 0;
  private previousRequests = 0;
  private previousRetries = 0;

  constructor(
    public ratio: number,
    public minPerSecond: number,
  ) {}

  /** Counts one original request (not a retry). */
  onRequest(now: number): void {
    this.roll(now);
    this.requests++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(now: number): boolean {
    this.roll(now);
    const overlap = 1 - (now - this.windowStart) / WINDOW_MS;
    const requests = this.requests + this.previousRequests * overlap;
    const retries = this.retries + this.previousRetries * overlap;
    if (retries >= this.ratio * requests + this.minPerSecond) return false;
    this.retries++;
    return true;
  }

  private roll(now: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    const adjacent = elapsed < 2 * WINDOW_MS;
    this.previousRequests = adjacent ? this.requests : 0;
    this.previousRetries = adjacent ? this.retries : 0;
    this.requests = 0;
    this.retries = 0;
    this.windowStart = now - (elapsed % WINDOW_MS);
  }
}
