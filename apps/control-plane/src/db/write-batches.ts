/**
 * Background writes gathered for `everyMs` and written as one batch, in order: at a hello storm's rate
 * one statement per proxy kept the database busy (bench:config-push at 1,000 proxies: 3,000 writes,
 * three quarters of the control plane's CPU). What is pending is keyed; `update` folds a new value
 * into the pending one (the last word about an endpoint, a sum of uses).
 */
export class WriteBatches<V> {
  private pending = new Map<string, V>();
  private timer: NodeJS.Timeout | undefined;
  private written: Promise<void> = Promise.resolve();

  constructor(
    /** Writes one batch (keys in the order they were first updated in it). */
    private readonly write: (batch: Map<string, V>) => Promise<unknown>,
    private readonly onError: (err: Error) => void,
    private readonly everyMs = 50,
  ) {}

  update(key: string, fold: (pending: V | undefined) => V): void {
    this.pending.set(key, fold(this.pending.get(key)));
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.everyMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending now; resolves once it and every earlier batch are written. */
  async flushed(): Promise<void> {
    this.flush();
    await this.written;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.written = this.written
      .then(() => this.write(batch))
      .then(
        () => undefined,
        (err: unknown) => this.onError(err as Error),
      );
  }
}
