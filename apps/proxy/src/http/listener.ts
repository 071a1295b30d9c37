import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UpstreamBody } from './response-body.ts';
import { performance } from 'node:perf_hooks';
import { hasBody } from './body.ts';
import { IdleConnections } from './idle-connections.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import { InboundTls, peerIdentityOf, type InboundTlsOptions } from './inbound-tls.ts';
import { ProtocolRouter } from './protocols.ts';
import { asGrpcError, GRPC_STATUS, grpcStatusIn, grpcTrailersFor, isGrpc, isGrpcServerError } from './grpc.ts';
import { REASONS, type ReasonCode } from './reasons.ts';
import { proxyError } from './response.ts';
import { CONNECT_REFUSAL, rawRefusal, readRequestHead, upgradeRefusal, type HeadRefusal } from './request-head.ts';
import type { HeaderMap } from './headers.ts';
import type { ProxyResponse } from './response.ts';
import { ticks } from '../ticks.ts';
import { ProxyRequest, type Handler } from './types.ts';

/** Limits that protect a listener from clients that are slow, huge or broken. */
export interface ClientLimits {
  /** Largest request head (request line + headers) accepted; bigger gets 431. */
  maxHeaderBytes: number;
  /** Time allowed to send the request head; slower clients get 408 (slowloris). */
  headersTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (slow readers, idle sockets). */
  idleTimeoutMs: number;
}

export interface ListenerOptions {
  name: string;
  host: string;
  port: number;
  limits: ClientLimits;
  handle: Handler;
  /** Called once per request when its response is complete or abandoned. */
  onDone: (req: ProxyRequest, status: number, durationMs: number, completed: boolean) => void;
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  log: (line: string) => void;
  /** Mutual TLS on this port (the inbound listener of a workload with a mesh identity). */
  tls?: Omit<InboundTlsOptions, 'handshakeTimeoutMs'>;
}

/** The TCP or TLS socket under each HTTP/2 session (an h2c session sits on a stream in between). */
const SESSION_SOCKET = new WeakMap<http2.ServerHttp2Session, Socket>();

/** What a gRPC server puts in its trailers; found in a head, it stands for a trailers-only answer. */
const GRPC_TRAILERS = new Set(['grpc-status', 'grpc-message', 'grpc-status-details-bin']);

/** A client's response: HTTP/1.1 or HTTP/2 (Node's compatibility API gives both the same shape). */
type ResponseSink = ServerResponse | Http2ServerResponse;

/** Headers HTTP/2 forbids in a message (RFC 9113 §8.2.2); the proxy's own answers may carry `connection`. */
const H2_FORBIDDEN = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

/**
 * An HTTP listener that runs a chain per request, streams responses back and drains on demand. Each
 * connection speaks HTTP/1.1 or HTTP/2 (h2c by its preface, or h2 by ALPN under TLS); both end in the
 * same chain, so filters never see the difference.
 */
export class Listener {
  readonly server: http.Server;
  /** Made for the first HTTP/2 connection: most listeners of a node agent only ever see HTTP/1.1. */
  private h2: http2.Http2Server | undefined;
  private readonly front: net.Server | undefined;
  /** The HTTP/2 sessions open on this listener (the server keeps no list of its own), closed when draining. */
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly tls: InboundTls | undefined;
  private readonly idle: IdleConnections;
  private inFlight = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  /** How often the headers deadline of each HTTP/1.1 connection is checked. */
  private readonly checkEveryMs: number;
  private stopChecks: (() => void) | undefined;

  constructor(private readonly options: ListenerOptions) {
    const { limits } = options;
    this.checkEveryMs = Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2));
    this.server = http.createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      // Node checks the headers deadline on this interval (30 s by default, far too coarse for it).
      connectionsCheckingInterval: this.checkEveryMs,
      keepAliveTimeout: 5_000,
      noDelay: true,
      // Host is checked by readRequestHead (RFC 9112 §3.2), which answers with a reason code.
      requireHostHeader: false,
    });
    // Idle connections are closed by one sweep per listener, not by Node's per-socket timer (server.timeout).
    this.idle = new IdleConnections(limits.idleTimeoutMs);
    this.server.on('connection', (socket: Socket) => this.idle.watch(socket));
    this.server.on('request', (incoming: IncomingMessage, res: ServerResponse) => this.onRequest(incoming, res));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    // Without a listener Node closes a CONNECT's connection with no answer.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseOnSocket(socket, CONNECT_REFUSAL));
    const onUpgrade = options.onUpgrade;
    if (onUpgrade) {
      this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        // An upgraded connection is a tunnel, which may stay quiet for long (upstream/tunnel.ts): not idle.
        this.idle.forget(socket as Socket);
        const target = upgradeRefusal(req) ?? readRequestHead(req, {});
        if (typeof target === 'string') onUpgrade(req, socket, head);
        else refuseOnSocket(socket, target);
      });
    }
    const router = new ProtocolRouter(this.server, () => (this.h2 ??= this.createH2(router)), limits.headersTimeoutMs);
    if (options.tls) this.tls = new InboundTls(router, this.server, { ...options.tls, handshakeTimeoutMs: limits.headersTimeoutMs });
    else this.front = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => router.plain(socket));
  }

  async listen(): Promise<number> {
    const port = this.tls ? await this.tls.listen(this.options.port, this.options.host) : await this.listenPlain();
    this.stopChecks = checkOnSharedTicks(this.server, this.checkEveryMs);
    return port;
  }

  private async listenPlain(): Promise<number> {
    const front = this.front as net.Server;
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(this.options.port, this.options.host, () => {
        front.off('error', reject);
        resolve();
      });
    });
    // The HTTP server never listens itself, but it starts tracking connections (the headers timeout that
    // stops slowloris, closeAllConnections when draining) on its 'listening' event.
    this.server.emit('listening');
    return (front.address() as AddressInfo).port;
  }

  /** Stops accepting, lets in-flight requests finish until `deadline` (performance.now() ms), then closes. */
  async drain(deadline: number): Promise<void> {
    this.draining = true;
    this.stopChecks?.();
    this.tls?.close();
    this.front?.close();
    this.server.close();
    this.server.closeIdleConnections();
    this.h2?.close();
    // HTTP/2 clients are told with GOAWAY to open no more streams; those in flight finish.
    for (const session of this.sessions) session.close();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.server.closeAllConnections();
    for (const session of this.sessions) session.destroy();
  }

  private createH2(router: ProtocolRouter): http2.Http2Server {
    const { limits } = this.options;
    const h2 = http2.createServer({
      maxSessionMemory: 64,
      // Flow control: room for a busy stream's burst before the client waits (64 KiB is HTTP/2's default).
      settings: { initialWindowSize: 1024 * 1024, maxHeaderListSize: limits.maxHeaderBytes },
    });
    h2.setTimeout(limits.idleTimeoutMs);
    h2.on('request', (incoming: Http2ServerRequest, res: Http2ServerResponse) => this.onH2Request(incoming, res));
    h2.on('session', (session: http2.ServerHttp2Session) => {
      // The TCP or TLS socket under the session: requests read the caller's address and identity from it.
      if (router.connecting) SESSION_SOCKET.set(session, router.connecting);
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    // A session that breaks (bad frames, a reset socket) concerns only its own connection.
    h2.on('sessionError', () => undefined);
    return h2;
  }

  /** An HTTP/2 request: its authority becomes the Host header, then it runs like any other. */
  private onH2Request(incoming: Http2ServerRequest, res: Http2ServerResponse): void {
    const socket = SESSION_SOCKET.get(incoming.stream.session as http2.ServerHttp2Session);
    if (socket) Object.defineProperty(incoming, 'socket', { value: socket });
    const headers = incoming.headers;
    const authority = headers[':authority'];
    if (headers.host === undefined && authority !== undefined) headers.host = authority;
    // A request without a body ends its stream with its headers; any other has one, of any length.
    this.onRequest(incoming as unknown as IncomingMessage, res, !incoming.stream.endAfterHeaders);
  }

  private onRequest(incoming: IncomingMessage, res: ResponseSink, withBody = hasBody(incoming.headers)): void {
    const startedAt = performance.now();
    // x-trellis-* headers are believed only from another proxy, over mutual TLS.
    const headers = withoutHopByHop(incoming.headers, true, peerIdentityOf(incoming.socket) === undefined);
    const target = readRequestHead(incoming, headers);
    if (typeof target !== 'string') {
      this.refuse(res, target);
      return;
    }
    const body = withBody ? incoming : null;
    const req = new ProxyRequest(incoming, incoming.method ?? 'GET', target, headers, body, startedAt);
    this.inFlight++;
    let status = 0;
    const grpc = isGrpc(req);
    let answer: ProxyResponse | undefined;
    // 'close' fires once per response; `on` spares the wrapper `once` allocates per request.
    res.on('close', () => {
      const completed = res.writableFinished;
      // Read before the cancellation below, which would break the body for the caller's sake, not upstream's.
      if (answer?.body instanceof UpstreamBody) req.outcome.bodyFailure = answer.body.failure;
      // A gRPC call's outcome: grpc-status from the head (trailers-only) or the trailers; none means it broke.
      if (grpc) {
        const inHead = grpcStatusIn(answer?.headers);
        const inTrailers = inHead === undefined && answer?.body instanceof UpstreamBody ? grpcStatusIn(answer.body.trailers) : undefined;
        req.outcome.grpcStatus = inHead ?? inTrailers ?? (completed ? GRPC_STATUS.UNKNOWN : GRPC_STATUS.CANCELLED);
        // A server error in the trailers is known only now: the try that carried it failed too (one in the
        // head was counted when the head came), or the try count would show more success than callers got.
        if (isGrpcServerError(inTrailers) && req.outcome.attempts > 0) req.outcome.failedAttempts++;
      }
      // The client went away first: cancel whatever the chain is still waiting for upstream.
      if (!completed) req.cancellation.cancel();
      // 499 (nginx's "client closed request"): the client left before any response was chosen.
      this.options.onDone(req, status || (completed ? res.statusCode : 499), performance.now() - startedAt, completed);
      if (--this.inFlight === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    this.options.handle(req).then(
      (response) => {
        // The proxy's own answers to a gRPC caller are gRPC errors (HTTP 200 with grpc-status).
        if (grpc && response.reason !== undefined) response = asGrpcError(response);
        status = response.status;
        answer = response;
        this.send(res, response, grpc);
      },
      (err: Error) => {
        this.options.log(`${this.options.name}: ${req.method} ${req.url} failed inside the proxy: ${err.stack ?? err.message}`);
        let response = proxyError('internal-error', err.message);
        if (grpc) response = asGrpcError(response);
        status = response.status;
        answer = response;
        this.send(res, response);
      },
    );
  }

  /** A request head the proxy will not forward: answered at once, the connection closed after it. */
  private refuse(res: ResponseSink, refusal: HeadRefusal): void {
    const response = proxyError(refusal.reason, refusal.detail, { headers: { connection: 'close' } });
    writeHead(res, response);
    endWith(res, response.body);
  }

  private send(res: ResponseSink, response: ProxyResponse, grpc = false): void {
    const body = response.body;
    if (res.destroyed) {
      if (body instanceof UpstreamBody) body.abort();
      return;
    }
    if (this.draining) response.headers.connection = 'close';
    try {
      writeHead(res, response);
    } catch (err) {
      // Upstream sent a header Node refuses to write (invalid characters): answer 502 instead.
      if (body instanceof UpstreamBody) body.abort();
      const fallback = proxyError('upstream-protocol-error', (err as Error).message);
      writeHead(res, fallback);
      endWith(res, fallback.body);
      return;
    }
    // A gRPC caller whose answer breaks off mid-way gets a status in the trailers (DEADLINE_EXCEEDED for an idle timeout).
    if (body instanceof UpstreamBody) body.pipeTo(res, grpc ? grpcTrailersFor : undefined);
    else endWith(res, body);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const pending = (socket as unknown as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const reason: ReasonCode =
      err.code === 'HPE_HEADER_OVERFLOW' ? 'headers-too-large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request-timeout' : 'bad-request';
    const { status, message } = REASONS[reason];
    const body = `${message}: ${err.code ?? err.message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-trellis-reason: ${reason}\r\n\r\n${body}`,
    );
    // A client that does not read its error response is cut off instead of holding the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

/**
 * Moves an http.Server's connection check (the headers deadline: slowloris) from the interval Node
 * starts for each server on 'listening' to the process's shared ticks: a node agent has two such servers
 * per workload, each waking it every second while idle. Node keeps that interval under an internal
 * symbol; where it is not found (another Node), the server keeps its own and nothing changes.
 */
function checkOnSharedTicks(server: http.Server, everyMs: number): (() => void) | undefined {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connectionsCheckingInterval');
  const timer = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key];
  const check = (timer as { _onTimeout?: unknown } | undefined)?._onTimeout;
  if (typeof check !== 'function') return undefined;
  clearInterval(timer as NodeJS.Timeout);
  return ticks.every(everyMs, () => (check as () => void)());
}

/** Writes the response head; for HTTP/2, without the connection-specific headers it forbids. */
function writeHead(res: ResponseSink, response: ProxyResponse): void {
  if (res instanceof http.ServerResponse) {
    res.writeHead(response.status, response.headers);
    return;
  }
  const headers: HeaderMap = {};
  let trailers: Record<string, string | string[]> | undefined;
  for (const name in response.headers) {
    const value = response.headers[name];
    if (value === undefined || H2_FORBIDDEN.includes(name)) continue;
    // A gRPC status in the head (a trailers-only answer) goes out as a trailer: the compatibility API
    // cannot end a stream with its HEADERS frame, and gRPC clients read a status in a head only from one.
    if (GRPC_TRAILERS.has(name)) (trailers ??= {})[name] = value;
    else headers[name] = value;
  }
  res.writeHead(response.status, headers);
  if (trailers) res.addTrailers(trailers);
}

function endWith(res: ResponseSink, body: ProxyResponse['body']): void {
  if (body === null) res.end();
  else (res as ServerResponse).end(body);
}

function refuseOnSocket(socket: Duplex, refusal: HeadRefusal): void {
  socket.end(rawRefusal(refusal));
  // A client that does not read its answer is cut off instead of holding the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
