import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import tls, { type ConnectionOptions, type SecureContext } from 'node:tls';
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { handshakeFailure, type HandshakeCounters } from '../telemetry/handshakes.ts';
import { mtlsOptions } from './mtls-connector.ts';

// HTTP/2 to one endpoint with node:http2 rather than undici: undici 7's HTTP/2 drops response trailers,
// and gRPC's status lives in them. One session per endpoint carries every request as its own stream
// (multiplexed), so one connection between two proxies serves any number of concurrent calls.

const { NGHTTP2_CANCEL } = http2.constants;

/** Time to open the connection (TCP, TLS and the HTTP/2 preface); like the HTTP/1.1 pools' connect timeout. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A session with no stream open for this long is closed; the next request opens a new one. */
const IDLE_SESSION_MS = 60_000;

/** How to reach the endpoint: plain h2c (prior knowledge) or mutual TLS with ALPN h2. */
export interface H2Target {
  host: string;
  port: number;
  /** Our certificate and the identity the endpoint must present; absent for h2c. */
  tls?: { context: SecureContext; expected: string; handshakes: HandshakeCounters };
}

/** What a request needs from the caller; the same shape undici's dispatch takes. */
export interface H2RequestOptions {
  path: string;
  method: string;
  headers?: unknown;
  body?: Readable | Buffer | string | Uint8Array | null;
}

/**
 * The pause/resume/abort handle an undici DispatchHandler expects, over one HTTP/2 stream, so an attempt
 * (upstream/call.ts) and the response body are written once for both protocols.
 */
class StreamController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  stream: ClientHttp2Stream | undefined = undefined;
  constructor(private readonly onAbort: (err: Error) => void) {}

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    if (this.stream && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.onAbort(reason);
  }

  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
  }
}

/** One HTTP/2 session to an endpoint, opened on first use and again after it closes. */
export class H2Connection {
  private session: ClientHttp2Session | undefined = undefined;
  private closing = false;

  constructor(private readonly target: H2Target) {}

  /** Sends one request as a new stream; the handler hears about it as undici would tell it. */
  dispatch(options: H2RequestOptions, handler: Dispatcher.DispatchHandler): void {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      handler.onResponseError?.(controller, err);
    };
    const controller = new StreamController(fail);
    handler.onRequestStart?.(controller, {});
    if (controller.aborted) return;
    if (this.closing) return fail(Object.assign(new Error('the endpoint is closed'), { code: 'UND_ERR_CLOSED' }));
    let stream: ClientHttp2Stream;
    try {
      const headers: OutgoingHttpHeaders = { ...(options.headers as OutgoingHttpHeaders), ':method': options.method, ':path': options.path };
      // HTTP/2 names the authority in :authority; a host header beside it is allowed but redundant.
      const host = headers.host;
      delete headers.host;
      if (host !== undefined) headers[':authority'] = host;
      stream = this.open().request(headers, { endStream: options.body === null || options.body === undefined });
    } catch (err) {
      return fail(err as Error);
    }
    controller.stream = stream;
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('response', (head: IncomingHttpHeaders) => {
      const status = Number(head[':status']);
      if (status < 200) return;
      const headers: Record<string, string | string[] | undefined> = {};
      for (const name in head) if (name.charCodeAt(0) !== 58 /* : */) headers[name] = head[name];
      handler.onResponseStart?.(controller, status, headers, '');
    });
    stream.on('data', (chunk: Buffer) => handler.onResponseData?.(controller, chunk));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('end', () => {
      if (done) return;
      done = true;
      handler.onResponseEnd?.(controller, (trailers ?? {}) as Record<string, string | string[]>);
    });
    stream.on('error', (err: Error) => fail(err));
    stream.on('close', () => {
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
  }

  /** The open session, or a new one. */
  private open(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const { host, port, tls: mtls } = this.target;
    const authority = `${mtls ? 'https' : 'http'}://${host}:${port}`;
    const session = http2.connect(authority, {
      createConnection: () => (mtls ? this.connectTls(mtls) : net.connect({ host, port, noDelay: true })),
      // Flow control: room for a busy stream's burst before the sender waits (64 KiB is HTTP/2's default).
      settings: { initialWindowSize: 1024 * 1024 },
    });
    const connectTimer = setTimeout(() => {
      session.destroy(Object.assign(new Error(`no HTTP/2 connection to ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' }));
    }, CONNECT_TIMEOUT_MS);
    session.once('connect', () => clearTimeout(connectTimer));
    session.once('close', () => {
      clearTimeout(connectTimer);
      if (this.session === session) this.session = undefined;
    });
    // Errors reach each stream; a session error with no stream open has nobody to tell.
    session.on('error', () => undefined);
    session.setTimeout(IDLE_SESSION_MS, () => session.close());
    session.unref();
    this.session = session;
    return session;
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
    const session = this.session;
    if (!session || session.closed) return Promise.resolve();
    return new Promise((resolve) => session.close(() => resolve()));
  }

  /** Closes now, failing whatever is in flight. */
  destroy(): void {
    this.closing = true;
    this.session?.destroy();
  }
}
