import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { UpstreamBody } from '../upstream/response-body.ts';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hasBody } from './body.ts';
import { withoutHopByHop } from './hop-by-hop.ts';
import { InboundTls, peerIdentityOf, type InboundTlsOptions } from './inbound-tls.ts';
import { REASONS, proxyError, type ReasonCode } from './reasons.ts';
import { CONNECT_REFUSAL, rawRefusal, readRequestHead, type HeadRefusal } from './request-head.ts';
import { ProxyRequest, type Handler, type ProxyResponse } from './types.ts';

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

/** An HTTP listener that runs a chain per request, streams responses back and drains on demand. */
export class Listener {
  readonly server: http.Server;
  private readonly tls: InboundTls | undefined;
  private inFlight = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ListenerOptions) {
    const { limits } = options;
    this.server = http.createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      // Node checks the headers deadline on this interval (30 s by default, far too coarse for it).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)),
      keepAliveTimeout: 5_000,
      noDelay: true,
      // Host is checked by readRequestHead (RFC 9112 §3.2), which answers with a reason code.
      requireHostHeader: false,
    });
    this.server.timeout = limits.idleTimeoutMs;
    this.server.on('request', (incoming: IncomingMessage, res: ServerResponse) => this.onRequest(incoming, res));
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.onClientError(err, socket));
    // Without a listener Node closes a CONNECT's connection with no answer.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseOnSocket(socket, CONNECT_REFUSAL));
    const onUpgrade = options.onUpgrade;
    if (onUpgrade) {
      this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const target = readRequestHead(req, {});
        if (typeof target === 'string') onUpgrade(req, socket, head);
        else refuseOnSocket(socket, target);
      });
    }
    if (options.tls) this.tls = new InboundTls(this.server, { ...options.tls, handshakeTimeoutMs: limits.headersTimeoutMs });
  }

  async listen(): Promise<number> {
    if (this.tls) return this.tls.listen(this.options.port, this.options.host);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting, lets in-flight requests finish until `deadline` (performance.now() ms), then closes. */
  async drain(deadline: number): Promise<void> {
    this.draining = true;
    this.tls?.close();
    this.server.close();
    this.server.closeIdleConnections();
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
  }

  private onRequest(incoming: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    // x-trellis-* headers are believed only from another proxy, over mutual TLS.
    const headers = withoutHopByHop(incoming.headers, true, peerIdentityOf(incoming.socket) === undefined);
    const target = readRequestHead(incoming, headers);
    if (typeof target !== 'string') {
      this.refuse(res, target);
      return;
    }
    const body = hasBody(incoming.headers) ? incoming : null;
    const req = new ProxyRequest(incoming, incoming.method ?? 'GET', target, headers, body, startedAt);
    this.inFlight++;
    let status = 0;
    // 'close' fires once per response; `on` spares the wrapper `once` allocates per request.
    res.on('close', () => {
      const completed = res.writableFinished;
      // The client went away first: cancel whatever the chain is still waiting for upstream.
      if (!completed) req.cancellation.cancel();
      // 499 (nginx's "client closed request"): the client left before any response was chosen.
      this.options.onDone(req, status || (completed ? res.statusCode : 499), performance.now() - startedAt, completed);
      if (--this.inFlight === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    this.options.handle(req).then(
      (response) => {
        status = response.status;
        this.send(res, response);
      },
      (err: Error) => {
        this.options.log(`${this.options.name}: ${req.method} ${req.url} failed inside the proxy: ${err.stack ?? err.message}`);
        const response = proxyError('internal-error', err.message);
        status = response.status;
        this.send(res, response);
      },
    );
  }

  /** A request head the proxy will not forward: answered at once, the connection closed after it. */
  private refuse(res: ServerResponse, refusal: HeadRefusal): void {
    const response = proxyError(refusal.reason, refusal.detail, { headers: { connection: 'close' } });
    res.writeHead(response.status, response.headers);
    res.end(response.body);
  }

  private send(res: ServerResponse, response: ProxyResponse): void {
    const body = response.body;
    if (res.destroyed) {
      if (body instanceof UpstreamBody) body.abort();
      return;
    }
    if (this.draining) response.headers.connection = 'close';
    try {
      res.writeHead(response.status, response.headers);
    } catch (err) {
      // Upstream sent a header Node refuses to write (invalid characters): answer 502 instead.
      if (body instanceof UpstreamBody) body.abort();
      const fallback = proxyError('upstream-protocol-error', (err as Error).message);
      res.writeHead(fallback.status, fallback.headers);
      res.end(fallback.body);
      return;
    }
    if (body instanceof UpstreamBody) body.pipeTo(res);
    else res.end(body);
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

function refuseOnSocket(socket: Duplex, refusal: HeadRefusal): void {
  socket.end(rawRefusal(refusal));
  // A client that does not read its answer is cut off instead of holding the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
