import http from 'node:http';
import { WebSocketServer } from 'ws';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { STREAM_PATH } from '@trellis/shared';
import { createAuthHttp } from './auth/http.ts';
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
 * One HTTP server on one port: tRPC over HTTP and WebSocket at /trpc, the proxy stream at /v1/stream,
 * the sign-in routes at /auth, and /healthz, /readyz, /metrics. Who may call what is decided in auth/
 * (credentials, CORS, CSRF, WebSocket origins) and in the one tRPC middleware (permissions).
 */
export function createServer(services: ControlPlaneServices, isReady: () => boolean) {
  const authHttp = createAuthHttp(services.auth);
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    createContext: async ({ req }): Promise<Context> => ({ ...services, ...(await authHttp.httpCaller(req)), actor: 'anonymous' }),
  });
  const trpcWss = new WebSocketServer({ noServer: true });
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
      trpcHttp(req, res);
      return;
    }
    if (authHttp.routes(req, res)) return;
    const path = url.split('?')[0];
    if (path === '/healthz') {
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

  return {
    server,
    /** Tells tRPC subscribers to reconnect elsewhere, then closes their sockets. */
    closeWebSockets: async () => {
      trpcWs.broadcastReconnectNotification();
      for (const ws of trpcWss.clients) ws.terminate();
      await new Promise<void>((resolve) => trpcWss.close(() => resolve()));
    },
  };
}
