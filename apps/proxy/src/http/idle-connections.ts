import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What a connection had moved, both ways, when a sweep last saw its count change. */
interface Activity {
  bytes: number;
  since: number;
}

/**
 * Closes HTTP/1.1 client connections with no traffic either way for `idleMs`: what Node's
 * `server.timeout` does, without its cost per request. Node re-arms that timer on every request (a new
 * Timeout and a bound function each time, between the keep-alive timer's turns) and moves it on every
 * read and write. Here one timer per listener looks at each connection's byte counts every twentieth of
 * the limit, and closes a connection whose counts have not moved for the whole limit: never earlier
 * than `idleMs` after its last byte, at most a tenth later.
 */
export class IdleConnections {
  private readonly connections = new Map<Socket, Activity>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly sweepMs: number;

  constructor(private readonly idleMs: number) {
    this.sweepMs = Math.max(10, Math.floor(idleMs / 20));
  }

  /** Watches `socket` until it closes. */
  watch(socket: Socket): void {
    this.connections.set(socket, { bytes: bytesMoved(socket), since: performance.now() });
    socket.once('close', () => this.connections.delete(socket));
    if (this.timer !== undefined) return;
    this.timer = setInterval(IdleConnections.sweep, this.sweepMs, this);
    // The connections keep the process alive, not this timer.
    this.timer.unref();
  }

  /** Stops watching `socket`: it became a tunnel (an upgrade), which has no idle limit. */
  forget(socket: Socket): void {
    this.connections.delete(socket);
  }

  /** Stops watching (the listener is closing). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The timer's callback: one function for every listener rather than a closure each. */
  private static sweep(this: void, self: IdleConnections): void {
    const now = performance.now();
    for (const [socket, activity] of self.connections) {
      const bytes = bytesMoved(socket);
      if (bytes !== activity.bytes) {
        activity.bytes = bytes;
        activity.since = now;
      } else if (now - activity.since >= self.idleMs) {
        self.connections.delete(socket);
        socket.destroy();
      }
    }
    if (self.connections.size === 0) self.stop();
  }
}

/** Bytes read and written (or queued for writing) on a connection so far. */
function bytesMoved(socket: Socket): number {
  return socket.bytesRead + (socket.bytesWritten ?? 0);
}
