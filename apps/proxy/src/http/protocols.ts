import type http from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** What every HTTP/2 connection starts with (RFC 9113 §3.4): how h2c with prior knowledge is told apart. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** ALPN protocols a TLS listener offers, best first. */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

/**
 * Hands each connection of a listener to the HTTP/1.1 or the HTTP/2 server. Plain connections are told
 * apart by their first bytes (the HTTP/2 preface), TLS connections by the protocol ALPN agreed on.
 * Neither server listens itself; both get sockets through their 'connection' event.
 */
export class ProtocolRouter {
  /** The TCP or TLS socket being handed to the HTTP/2 server right now (its 'session' event fires meanwhile). */
  connecting: Socket | undefined = undefined;

  constructor(
    private readonly h1: http.Server,
    /** The HTTP/2 server, made on first use. */
    private readonly h2: () => Http2Server,
    /** Time a client has for its first bytes; a silent one then goes to HTTP/1.1, whose own timers answer it. */
    private readonly sniffTimeoutMs: number,
  ) {}

  /** A plain-text connection: h2c if it opens with the preface, HTTP/1.1 otherwise. */
  plain(socket: Socket): void {
    let seen: Buffer = Buffer.alloc(0);
    const decide = (h2: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      if (h2) {
        // Node's HTTP/2 reads a TCP socket's handle directly and would miss the bytes already read here;
        // a stream in between hands them over first.
        this.toH2(socket, new Replayed(socket, seen));
        return;
      }
      if (seen.length > 0) socket.unshift(seen);
      this.h1.emit('connection', socket);
      // The HTTP/1.1 server reads the socket's handle directly; what went back into its buffer reaches it as it flows.
      socket.resume();
    };
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      if (seen.compare(PREFACE, 0, n, 0, n) !== 0) decide(false);
      else if (n === PREFACE.length) decide(true);
      // Otherwise: a prefix of the preface so far; wait for more.
    };
    const onError = () => clearTimeout(timer);
    const timer = setTimeout(() => decide(false), this.sniffTimeoutMs);
    socket.on('data', onData);
    socket.once('error', onError);
    socket.resume();
  }

  /** A TLS connection after its handshake: the protocol ALPN chose. */
  tls(socket: TLSSocket): void {
    if (socket.alpnProtocol === 'h2') this.toH2(socket, socket);
    else this.h1.emit('connection', socket);
  }

  private toH2(socket: Socket, stream: Duplex): void {
    this.connecting = socket;
    try {
      this.h2().emit('connection', stream);
    } finally {
      this.connecting = undefined;
    }
  }
}

/** A socket whose first bytes were already read: replays them, then passes the rest through, both ways. */
class Replayed extends Duplex {
  constructor(
    private readonly socket: Socket,
    first: Buffer,
  ) {
    super({ allowHalfOpen: false });
    if (first.length > 0) this.push(first);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err: Error) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: () => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }
}
