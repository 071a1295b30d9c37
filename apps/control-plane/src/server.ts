import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { isAdmissionPath, serveAdmission } from './kubernetes/admission-http.ts';
import { WebSocketServer } from 'ws';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { STREAM_PATH, TRUST_BUNDLE_PATH } from '@trellis/shared';
import { sniffTls } from '@trellis/shared/node';
import { createAuthHttp } from './auth/http.ts';
import { readBoundedBody } from './http/body-limit.ts';
import { appRouter } from './router/root.ts';
import type { Context } from './router/trpc.ts';
import type { ControlPlaneServices } from './services.ts';

const TRPC_PREFIX = '/trpc';

/**
 * Public procedure names that tRPC cannot use as keys (it reserves `apply`, `call`, `then`), mapped to
 * the procedures that implement them, so `POST /trpc/resources.apply` works for scripts and curl.
 */
const PROCEDURE_ALIASES: Record<string, string> = { 'resources.apply': 'resources.upsert' };

function resolveAliases(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const names = path.slice(TRPC_PREFIX.length + 1).split(',');
  if (!names.some((n) => n in PROCEDURE_ALIASES)) return url;
  const mapped = names.map((n) => PROCEDURE_ALIASES[n] ?? n).join(',');
  return `${TRPC_PREFIX}/${mapped}${query === undefined ? '' : `?${query}`}`;
}

/**
 * One port, two protocols: each connection is plain HTTP or TLS, told apart by its first byte. Plain HTTP
 * serves tRPC over HTTP and WebSocket at /trpc, the sign-in routes at /auth, and /healthz, /readyz,
 * /metrics; TLS (with the control plane's certificate from the mesh CA, client certificates requested)
 * serves the same plus the proxy stream at /v1/stream, which is refused in the clear. /v1/trust-bundle is
 * served on both. Who may call the API is decided in auth/ (credentials, CORS, CSRF, WebSocket origins)
 * and in the one tRPC middleware (permissions).
 */
export function createServer(
  services: ControlPlaneServices,
  isReady: () => boolean,
  limits: {
    maxBodyBytes: number;
    /** TLS handshakes in progress at most; a connection beyond them is closed at once (see `shed`). */
    maxHandshakes: number;
    /** A TLS handshake not finished by then is closed (and its slot among maxHandshakes freed). */
    handshakeTimeoutMs: number;
    /** Called for each connection closed because `maxHandshakes` were in progress. */
    shed: () => void;
  },
) {
  const authHttp = createAuthHttp(services.auth);
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    createContext: async ({ req }): Promise<Context> => ({ ...services, ...(await authHttp.httpCaller(req)), actor: 'anonymous' }),
  });
  // A tRPC message over WebSocket is held to the same limit as an HTTP body (ws closes with 1009 above it).
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes });
  const trpcWs = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: async ({ req, info }): Promise<Context> => ({ ...services, ...(await authHttp.webSocketCaller(req, info.connectionParams)), actor: 'anonymous' }),
    keepAlive: { enabled: true, pingMs: 20_000, pongWaitMs: 5_000 },
  });

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (authHttp.cors(req, res)) return;
    if (url.startsWith(`${TRPC_PREFIX}/`)) {
      req.url = resolveAliases(url);
      readBoundedBody(req, res, limits.maxBodyBytes, () => trpcHttp(req, res));
      return;
    }
    if (authHttp.routes(req, res)) return;
    const path = url.split('?')[0];
    if (isAdmissionPath(path)) {
      // Kubernetes' sidecar injector (kubernetes/admission-http.ts): the API server calls it over TLS.
      readBoundedBody(req, res, limits.maxBodyBytes, () => serveAdmission(req, res, services.injector, () => services.identity.ca.bundle().roots));
      return;
    }
    if (path === TRUST_BUNDLE_PATH) {
      // Public: a proxy checks it against its join token's pin before trusting any of it.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(services.identity.ca.bundle()));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      authHttp
        .metricsAllowed(req, res)
        .then((allowed) => (allowed ? services.metrics.registry.metrics() : undefined))
        .then(
          (text) => text !== undefined && res.writeHead(200, { 'content-type': services.metrics.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}; the API is at ${TRPC_PREFIX}\n`);
    }
  });

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === STREAM_PATH) {
      if (!(req.socket instanceof tls.TLSSocket)) {
        const body = 'the proxy stream is served over TLS only (wss://); this proxy is older than the control plane, upgrade it\n';
        socket.end(`HTTP/1.1 426 Upgrade Required\r\nupgrade: TLS/1.3\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      services.stream.wss.handleUpgrade(req, socket, head, (ws) => services.stream.wss.emit('connection', ws, req));
    } else if (path === TRPC_PREFIX || path?.startsWith(`${TRPC_PREFIX}/`)) {
      void authHttp.refuseUpgrade(req, socket).then(
        (refused) => refused || trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit('connection', ws, req)),
        () => socket.destroy(),
      );
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    }
  });

  // Client certificates are requested but not required at the TLS layer: a proxy joining for the first
  // time has only its token. The stream decides who may stay (stream/server.ts).
  const tlsServer = tls.createServer({ ...services.identity.servingOptions(), requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], handshakeTimeout: limits.handshakeTimeoutMs });
  // Admission control for hello storms: thousands of proxies starting (or reconnecting to a restarted
  // control plane) at once each began a TLS handshake, the CPU was shared by all of them, and they timed
  // out together at the clients' 5 s and were retried (bench:config-push: 219 of 10,000 connected after
  // 99 s). Beyond `maxHandshakes` in progress a new TLS connection is closed before any work; its proxy
  // backs off (jittered) and comes back, while the handshakes under way finish in time. Node's default
  // handshake timeout (120 s) would let a client that sends a ClientHello and stalls hold a slot for two
  // minutes; handshakeTimeoutMs bounds that to how long a real proxy waits.
  let handshaking = 0;
  tlsServer.on('secureConnection', (socket) => {
    handshaking = Math.max(0, handshaking - 1);
    server.emit('connection', socket);
  });
  tlsServer.on('tlsClientError', (_err, socket) => {
    // Every handshake that does not complete ends here (a reset, garbage, the handshake timeout).
    handshaking = Math.max(0, handshaking - 1);
    socket.destroy();
  });
  // A renewed certificate or a new trust bundle applies to new connections; open ones keep theirs.
  services.identity.on('serving', (options: tls.SecureContextOptions) => tlsServer.setSecureContext(options));
  const front = net.createServer({ pauseOnConnect: true }, (socket) => {
    sniffTls(
      socket,
      (s) => {
        if (handshaking >= limits.maxHandshakes) {
          limits.shed();
          s.destroy();
          return;
        }
        handshaking++;
        tlsServer.emit('connection', s);
      },
      (s) => server.emit('connection', s),
      30_000,
    );
  });

  return {
    server,
    /** Listens on `port` (0: any free one) for both plain HTTP and TLS. */
    listen: (port: number, host: string) =>
      new Promise<number>((resolve, reject) => {
        front.once('error', reject);
        front.listen(port, host, () => {
          front.off('error', reject);
          // The HTTP server never listens itself (the front hands it connections), but it starts tracking
          // connections (closeAllConnections, the headers timeout) on its 'listening' event.
          server.emit('listening');
          resolve((front.address() as AddressInfo).port);
        });
      }),
    /** Stops accepting connections and closes the ones open. */
    close: async () => {
      front.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    /** Tells tRPC subscribers to reconnect elsewhere, then closes their sockets. */
    closeWebSockets: async () => {
      trpcWs.broadcastReconnectNotification();
      for (const ws of trpcWss.clients) ws.terminate();
      await new Promise<void>((resolve) => trpcWss.close(() => resolve()));
    },
  };
}
