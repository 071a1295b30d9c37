import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import tls, { type ConnectionOptions, type SecureContext } from 'node:tls';
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { handshakeFailure, type HandshakeCounters } from '../identity/handshakes.ts';
import { mtlsOptions } from './mtls-connector.ts';

// HTTP/2 to one endpoint with node:http2 rather than undici: undici 7's HTTP/2 drops response trailers,
// and gRPC's status lives in them. Every request is a stream of a session (multiplexed), so one
// connection between two proxies serves many concurrent calls; when the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS is reached on every session, another connection is opened (up to a
// cap) instead of leaving the request queued behind streams that may never end (gRPC streams).

const { NGHTTP2_CANCEL } = http2.constants;

/** Time to open the connection (TCP, TLS and the HTTP/2 preface); like the HTTP/1.1 pools' connect timeout. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A session with no stream open for this long is closed; the next request opens a new one. */
const IDLE_SESSION_MS = 60_000;
/** Connections to one endpoint when no CircuitBreakerPolicy caps them (at the cap, streams queue in the least busy one). */
const DEFAULT_MAX_SESSIONS = 16;

/** How to reach the endpoint: plain h2c (prior knowledge) or mutual TLS with ALPN h2. */
export interface H2Target {
  host: string;
  port: number;
  /** Our certificate and the identity the endpoint must present; absent for h2c. */
  tls?: { context: SecureContext; expected: string; handshakes: HandshakeCounters };
  /** Most connections to open to the endpoint (the CircuitBreakerPolicy's share); null or absent: 16. */
  maxSessions?: number | null;
}

/** What a request needs from the caller; the same shape undici's dispatch takes. */
export interface H2RequestOptions {
  path: string;
  method: string;
  headers?: unknown;
  body?: Readable | Buffer | string | Uint8Array | null;
  /** Longest silence allowed inside the response body (ms; 0 or absent: none), as undici's option. */
  bodyTimeout?: number | null;
}

/**
 * The pause/resume/abort handle an undici DispatchHandler expects, over one HTTP/2 stream, so an attempt
 * (upstream/call.ts) and the response body are written once for both protocols. It also keeps the body's
 * idle timer, which stops while the body is paused: a caller that does not read is not upstream's silence.
 */
class StreamController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  stream: ClientHttp2Stream | undefined = undefined;
  private idleTimer: NodeJS.Timeout | undefined = undefined;
  private idleMs = 0;

  constructor(private readonly onAbort: (err: Error) => void) {}

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.stopIdleTimer();
    if (this.stream && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.onAbort(reason);
  }

  pause(): void {
    this.paused = true;
    this.stream?.pause();
    if (this.idleTimer === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
    if (this.idleMs > 0 && this.idleTimer === undefined && !this.aborted) this.idleTimer = setTimeout(StreamController.idle, this.idleMs, this);
  }

  /** From the response head on: the body may be silent for at most `ms`, or the stream is cut. */
  watchBody(ms: number): void {
    this.idleMs = ms;
    if (!this.paused) this.idleTimer = setTimeout(StreamController.idle, ms, this);
  }

  /** Body bytes arrived: the silence starts again. */
  touch(): void {
    this.idleTimer?.refresh();
  }

  stopIdleTimer(): void {
    this.idleMs = 0;
    if (this.idleTimer === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private static idle(this: void, controller: StreamController): void {
    controller.abort(Object.assign(new Error(`no response body data for ${controller.idleMs} ms`), { code: 'UND_ERR_BODY_TIMEOUT' }));
  }
}

/** One HTTP/2 connection of the pool: its session, its open streams, and requests waiting for its SETTINGS. */
interface PooledSession {
  session: ClientHttp2Session;
  streams: number;
  /** True once the peer's SETTINGS arrived, so its stream limit is known. */
  ready: boolean;
  waiting: Array<(to: PooledSession | Error) => void>;
  error: Error | undefined;
}

/** The HTTP/2 connections to one endpoint, opened on demand: another when every one is at the peer's stream limit. */
export class H2Pool {
  private readonly sessions: PooledSession[] = [];
  private closing = false;

  constructor(private readonly target: H2Target) {}

  /** Sends one request as a new stream; the handler hears about it as undici would tell it. */
  dispatch(options: H2RequestOptions, handler: Dispatcher.DispatchHandler): void {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      controller.stopIdleTimer();
      handler.onResponseError?.(controller, err);
    };
    const controller = new StreamController(fail);
    handler.onRequestStart?.(controller, {});
    if (controller.aborted) return;
    this.acquire((to) => {
      if (to instanceof Error) return fail(to);
      // Cancelled while it waited for a connection.
      if (controller.aborted) return;
      let stream: ClientHttp2Stream;
      try {
        const headers: OutgoingHttpHeaders = { ...(options.headers as OutgoingHttpHeaders), ':method': options.method, ':path': options.path };
        // HTTP/2 names the authority in :authority; a host header beside it is allowed but redundant.
        const host = headers.host;
        delete headers.host;
        if (host !== undefined) headers[':authority'] = host;
        stream = to.session.request(headers, { endStream: options.body === null || options.body === undefined });
      } catch (err) {
        return fail(err as Error);
      }
      to.streams++;
      controller.stream = stream;
      let trailers: IncomingHttpHeaders | undefined;
      const bodyTimeout = options.bodyTimeout ?? 0;
      stream.on('response', (head: IncomingHttpHeaders) => {
        const status = Number(head[':status']);
        if (status < 200) return;
        const headers: Record<string, string | string[] | undefined> = {};
        for (const name in head) if (name.charCodeAt(0) !== 58 /* : */) headers[name] = head[name];
        if (bodyTimeout > 0) controller.watchBody(bodyTimeout);
        handler.onResponseStart?.(controller, status, headers, '');
      });
      stream.on('data', (chunk: Buffer) => {
        controller.touch();
        handler.onResponseData?.(controller, chunk);
      });
      stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
      stream.on('end', () => {
        if (done) return;
        done = true;
        controller.stopIdleTimer();
        handler.onResponseEnd?.(controller, (trailers ?? {}) as Record<string, string | string[]>);
      });
      stream.on('error', (err: Error) => fail(err));
      stream.on('close', () => {
        to.streams--;
        // Reset by the peer (RST_STREAM) or the session went away before the stream ended.
        if (!done) fail(Object.assign(new Error(`stream closed with code ${stream.rstCode ?? '?'}`), { code: stream.rstCode === 7 ? 'ECONNREFUSED' : 'ECONNRESET' }));
      });
      const body = options.body;
      if (body === null || body === undefined) return;
      if (typeof body === 'string' || body instanceof Uint8Array) {
        stream.end(body);
        return;
      }
      // Streams both ways at once (bidirectional gRPC): the request body flows while the answer comes back.
      body.on('error', (err: Error) => controller.abort(err));
      stream.on('close', () => body.unpipe(stream));
      body.pipe(stream);
    });
  }

  /**
   * Finds the connection for one more stream: the first with room under the peer's limit; else one still
   * connecting (its limit is not known yet); else a new one; at the cap, the least busy (nghttp2 holds
   * the stream until one of that connection's streams ends).
   */
  private acquire(use: (to: PooledSession | Error) => void): void {
    // Closed (also while this request waited for a connection's SETTINGS): no new connection for it.
    if (this.closing) return use(Object.assign(new Error('the endpoint is closed'), { code: 'UND_ERR_CLOSED' }));
    let connecting: PooledSession | undefined;
    let leastBusy: PooledSession | undefined;
    for (const s of this.sessions) {
      if (!s.ready) {
        connecting ??= s;
        continue;
      }
      if (s.streams < (s.session.remoteSettings.maxConcurrentStreams ?? Infinity)) return use(s);
      if (!leastBusy || s.streams < leastBusy.streams) leastBusy = s;
    }
    if (connecting) {
      connecting.waiting.push((to) => (to instanceof Error ? use(to) : this.acquire(use)));
      return;
    }
    if (leastBusy && this.sessions.length >= (this.target.maxSessions ?? DEFAULT_MAX_SESSIONS)) return use(leastBusy);
    let fresh: PooledSession;
    try {
      fresh = this.connect();
    } catch (err) {
      return use(err as Error);
    }
    fresh.waiting.push((to) => (to instanceof Error ? use(to) : this.acquire(use)));
  }

  /** Opens one more connection; requests wait for its SETTINGS (the peer's stream limit). */
  private connect(): PooledSession {
    const { host, port, tls: mtls } = this.target;
    const authority = `${mtls ? 'https' : 'http'}://${host}:${port}`;
    const session = http2.connect(authority, {
      createConnection: () => (mtls ? this.connectTls(mtls) : net.connect({ host, port, noDelay: true })),
      // Flow control: room for a busy stream's burst before the sender waits (64 KiB is HTTP/2's default).
      settings: { initialWindowSize: 1024 * 1024 },
    });
    const pooled: PooledSession = { session, streams: 0, ready: false, waiting: [], error: undefined };
    this.sessions.push(pooled);
    const wake = (to: PooledSession | Error) => {
      const waiting = pooled.waiting;
      pooled.waiting = [];
      for (const w of waiting) w(to);
    };
    const connectTimer = setTimeout(() => {
      session.destroy(Object.assign(new Error(`no HTTP/2 connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    }, CONNECT_TIMEOUT_MS);
    session.once('remoteSettings', () => {
      clearTimeout(connectTimer);
      pooled.ready = true;
      wake(pooled);
    });
    // After GOAWAY the connection takes no new streams; those it carries finish.
    session.once('goaway', () => this.forget(pooled));
    session.once('close', () => {
      clearTimeout(connectTimer);
      this.forget(pooled);
      wake(pooled.error ?? Object.assign(new Error(`the HTTP/2 connection to ${host}:${port} closed`), { code: 'ECONNRESET' }));
    });
    // Errors of a stream reach its request; one before any stream (refused, TLS) reaches those waiting.
    session.on('error', (err: Error) => (pooled.error ??= err));
    session.setTimeout(IDLE_SESSION_MS, () => session.close());
    session.unref();
    return pooled;
  }

  private forget(pooled: PooledSession): void {
    const i = this.sessions.indexOf(pooled);
    if (i >= 0) this.sessions.splice(i, 1);
  }

  private connectTls(mtls: NonNullable<H2Target['tls']>): tls.TLSSocket {
    const options: ConnectionOptions = {
      ...mtlsOptions(mtls.context, mtls.expected),
      host: this.target.host,
      port: this.target.port,
      ALPNProtocols: ['h2'],
    };
    const socket = tls.connect(options);
    socket.setNoDelay(true);
    socket.once('secureConnect', () => mtls.handshakes.ok++);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // Refused or unreachable is not a handshake failure: only what happened once TLS began.
      if (!/^(ECONN|EHOST|ENET|EADDR|ENOTFOUND|EAI_)/.test(err.code ?? '')) mtls.handshakes.fail(handshakeFailure(err));
    });
    return socket;
  }

  /** Lets the streams in flight finish, then closes. */
  close(): Promise<void> {
    this.closing = true;
    const open = this.sessions.splice(0).filter((s) => !s.session.closed);
    return Promise.all(open.map((s) => new Promise<void>((resolve) => s.session.close(() => resolve())))).then(() => undefined);
  }

  /** Closes now, failing whatever is in flight. */
  destroy(): void {
    this.closing = true;
    for (const s of this.sessions.splice(0)) s.session.destroy();
  }
}
