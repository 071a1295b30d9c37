import { diffLiveGraph, fullLiveGraph, quantiseGraph, type LiveGraphDelta, type LiveGraphFull, type LiveGraphMessage, type ServiceGraph } from '@trellis/shared';

export interface LiveGraphOptions {
  /** How often the graph is rebuilt and a delta sent (default 1 s). */
  intervalMs?: number;
  /** Each viewer gets the whole graph again this often, whatever happened (default 60 s; the first time, after 30–60 s). */
  resyncMs?: number;
}

/** One graph per distinct question (namespace, window, routes), rebuilt once per tick for all its viewers. */
class Feed {
  seq = 0;
  graph: ServiceGraph;
  delta: LiveGraphDelta | null = null;
  private full: LiveGraphFull | null = null;
  readonly viewers = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly build: () => ServiceGraph,
    intervalMs: number,
  ) {
    this.graph = quantiseGraph(build());
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const next = quantiseGraph(this.build());
    this.delta = diffLiveGraph(this.graph, next, this.seq + 1);
    this.seq += 1;
    this.graph = next;
    for (const wake of this.viewers) wake();
  }

  /** The whole graph as the current message, encoded once for every viewer that needs it. */
  fullMessage(): LiveGraphFull {
    if (this.full?.seq !== this.seq) this.full = fullLiveGraph(this.graph, this.seq);
    return this.full;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The live graph's feeds: viewers asking the same question share one graph build and one delta a tick,
 * so a hundred viewers cost about what one does, plus sending. Per viewer the state is the last message
 * number sent and when it last got the whole graph; a feed is dropped with its last viewer.
 */
export class LiveGraphFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly intervalMs: number;
  private readonly resyncMs: number;

  constructor(options: LiveGraphOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.resyncMs = options.resyncMs ?? 60_000;
  }

  /** Feeds running now (one per distinct question being watched). */
  get size(): number {
    return this.feeds.size;
  }

  /**
   * The whole graph first, then a delta a tick; the whole graph again every resyncMs, and whenever this
   * viewer fell behind by more than one message (a delta it missed would not apply).
   */
  async *watch(key: string, build: () => ServiceGraph, signal?: AbortSignal): AsyncGenerator<LiveGraphMessage> {
    let feed = this.feeds.get(key);
    if (!feed) this.feeds.set(key, (feed = new Feed(build, this.intervalMs)));
    let sent = -1;
    let fullAt = 0;
    let wake: (() => void) | null = null;
    const poke = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    feed.viewers.add(poke);
    signal?.addEventListener('abort', poke, { once: true });
    try {
      while (!signal?.aborted) {
        if (sent === feed.seq) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const now = Date.now();
        if (feed.delta && sent === feed.seq - 1 && now - fullAt < this.resyncMs) {
          sent = feed.seq;
          yield feed.delta;
        } else {
          // The first resync comes at a random point of the second half of the period, so viewers that
          // arrived together (a control plane restart reconnects them all) do not all resync together.
          fullAt = sent < 0 ? now - (Math.random() * this.resyncMs) / 2 : now;
          sent = feed.seq;
          yield feed.fullMessage();
        }
      }
    } finally {
      signal?.removeEventListener('abort', poke);
      feed.viewers.delete(poke);
      if (feed.viewers.size === 0 && this.feeds.get(key) === feed) {
        feed.stop();
        this.feeds.delete(key);
      }
    }
  }
}
