import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ReasonCode } from './reasons.ts';

/** Where a body goes: what an HTTP/1.1 ServerResponse and an HTTP/2 Http2ServerResponse both offer. */
export interface ResponseSink {
  readonly destroyed: boolean;
  write(chunk: Buffer): boolean;
  end(): unknown;
  end(chunk: Buffer): unknown;
  destroy(err?: Error): unknown;
  addTrailers(trailers: Record<string, string | string[]>): void;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * For a caller that can read a status at the end of a body (gRPC): the trailers that end a body broken
 * for `reason`, instead of a reset stream that tells it nothing.
 */
export type BrokenBodyTrailers = (reason: ReasonCode) => Record<string, string>;

/** How a body slows or stops its upstream: an attempt (HTTP/1.1), or an HTTP/2 stream's controller. */
export type BodyController = Pick<Dispatcher.DispatchController, 'pause' | 'resume' | 'abort'>;

/** Bytes held for a body nobody reads yet (between its head arriving and the listener writing it). */
const HIGH_WATER_BYTES = 64 * 1024;

/** Sees every chunk of a body as it passes (the cache keeps a copy this way). */
export interface BodyTap {
  data(chunk: Buffer): void;
  /** complete: the body arrived whole. */
  end(complete: boolean): void;
}

/**
 * A response body coming from upstream, written straight into the client's response with
 * backpressure: when the client socket is full, the upstream connection is paused. No Node stream in
 * between; in profiles the Readable + pipeline pair cost more than the proxying itself.
 */
export class UpstreamBody {
  private queue: Buffer[] | undefined = undefined;
  private queued = 0;
  private sink: ResponseSink | undefined = undefined;
  private state: 'open' | 'complete' | 'failed' = 'open';
  private discarding = false;
  /** Who waits for the body to be over: the first in a field of its own (most bodies have one, the attempt's), any others in a list. */
  private closeListener: (() => void) | undefined = undefined;
  private closeListeners: Array<() => void> | undefined = undefined;
  private tap: BodyTap | undefined = undefined;
  private waitingForDrain = false;
  /** Trailers that came after the body (gRPC's grpc-status); passed on when the body ends. */
  trailers: IncomingHttpHeaders | undefined = undefined;
  /** Why the body broke off after its head (idle-timeout, upstream-reset, ...); undefined when whole or abandoned. */
  failure: ReasonCode | undefined = undefined;
  private error: Error | undefined = undefined;
  private endBroken: BrokenBodyTrailers | undefined = undefined;

  constructor(private readonly controller: BodyController) {}

  // ---- fed by the upstream call ----

  push(chunk: Buffer): void {
    this.tap?.data(chunk);
    if (this.discarding) return;
    const sink = this.sink;
    if (sink) {
      if (sink.destroyed) return this.abort();
      if (!sink.write(chunk)) this.waitForDrain(sink);
      return;
    }
    (this.queue ??= []).push(chunk);
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER_BYTES) this.controller.pause();
  }

  complete(trailers?: IncomingHttpHeaders): void {
    if (this.state !== 'open') return;
    this.state = 'complete';
    if (trailers && hasAny(trailers)) this.trailers = trailers;
    this.tap?.end(true);
    const sink = this.sink;
    if (sink) {
      if (this.trailers) addTrailers(sink, this.trailers);
      sink.end();
    }
    this.closed();
  }

  /** The upstream broke off (`reason` from the transport-error table; none when the caller abandoned it). */
  fail(err: Error, reason?: ReasonCode): void {
    if (this.state !== 'open') return;
    this.state = 'failed';
    this.failure = reason;
    this.error = err;
    this.tap?.end(false);
    // Headers are already out: cutting the connection is how the client learns the body broke, unless it
    // reads a status at the end (gRPC).
    if (this.sink) this.endFailed(this.sink);
    this.closed();
  }

  // ---- read by the listener and filters ----

  /** Writes the body into the client's response (once), then ends it; `endBroken` for callers that read a final status. */
  pipeTo(sink: ResponseSink, endBroken?: BrokenBodyTrailers): void {
    this.sink = sink;
    this.endBroken = endBroken;
    const queue = this.queue;
    this.queue = undefined;
    this.queued = 0;
    if (this.state === 'complete' && this.trailers) {
      // Trailers need a body sent in chunks (HTTP/1.1) or a stream left open for them (HTTP/2).
      if (queue) for (const chunk of queue) sink.write(chunk);
      addTrailers(sink, this.trailers);
      sink.end();
      return;
    }
    if (this.state === 'complete') {
      // The whole body is here already (the common case for small responses): one end() writes head
      // and body in a single syscall, with a Content-Length instead of chunked encoding.
      if (!queue) sink.end();
      else sink.end(queue.length === 1 && queue[0] ? queue[0] : Buffer.concat(queue));
      return;
    }
    let writable = true;
    if (queue) for (const chunk of queue) writable = sink.write(chunk);
    if (this.state === 'failed') this.endFailed(sink);
    else if (!writable) this.waitForDrain(sink);
    else this.controller.resume();
  }

  /** Reads the rest and throws it away, keeping the upstream connection reusable. */
  discard(): void {
    this.discarding = true;
    this.queue = undefined;
    this.queued = 0;
    this.controller.resume();
  }

  /** Stops the transfer now (the connection is closed). */
  abort(): void {
    if (this.state !== 'open') return;
    // Failed first, with no reason: the caller left, the upstream did nothing wrong.
    this.fail(new Error('response body abandoned'));
    this.controller.abort(new Error('response body abandoned'));
  }

  /** Runs `listener` once when the body is over, complete or not. */
  onClose(listener: () => void): void {
    if (this.state !== 'open') listener();
    else if (this.closeListener === undefined) this.closeListener = listener;
    else (this.closeListeners ??= []).push(listener);
  }

  /**
   * Lets `tap` see the whole body. Must be set before pipeTo(): small bodies often arrive complete
   * before anyone looks at them, so what is queued is replayed first.
   */
  setTap(tap: BodyTap): void {
    if (this.sink || this.discarding) return tap.end(false);
    if (this.queue) for (const chunk of this.queue) tap.data(chunk);
    if (this.state !== 'open') return tap.end(this.state === 'complete');
    this.tap = tap;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The client's socket is full: pause the upstream until it drains (one listener at a time). */
  private waitForDrain(sink: ResponseSink): void {
    this.controller.pause();
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    // A closure only for bodies that actually hit backpressure, not one per response.
    sink.once('drain', () => {
      this.waitingForDrain = false;
      if (this.state === 'open') this.controller.resume();
    });
  }

  /** Ends a broken body: with a final status for a caller that reads one, else by cutting the stream. */
  private endFailed(sink: ResponseSink): void {
    if (this.endBroken && this.failure !== undefined && !sink.destroyed) {
      this.trailers = this.endBroken(this.failure);
      addTrailers(sink, this.trailers);
      sink.end();
    } else {
      sink.destroy(this.error);
    }
  }

  private closed(): void {
    const first = this.closeListener;
    const list = this.closeListeners;
    this.closeListener = undefined;
    this.closeListeners = undefined;
    first?.();
    if (list) for (const listener of list) listener();
  }
}

function hasAny(headers: IncomingHttpHeaders): boolean {
  for (const _ in headers) return true;
  return false;
}

/** Passes trailers on, without HTTP/2 pseudo-headers or the hop-by-hop ones HTTP/2 refuses. */
function addTrailers(sink: ResponseSink, trailers: IncomingHttpHeaders): void {
  const out: Record<string, string | string[]> = {};
  for (const name in trailers) {
    const value = trailers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* : */ || name === 'connection' || name === 'transfer-encoding') continue;
    out[name] = value;
  }
  sink.addTrailers(out);
}
