import http from 'node:http';
import { WebSocketServer } from 'ws';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { STREAM_PATH } from '@trellis/shared';
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

function actorFrom(header: string | string[] | undefined, params?: Record<string, unknown> | null): string {
  const fromParams = params?.user;
  if (typeof fromParams === 'string' && fromParams) return fromParams.slice(0, 200);
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.slice(0, 200) : 'anonymous';
}

/**
 * One HTTP server on one port: tRPC over HTTP and WebSocket at /trpc, the proxy stream at /v1/stream,
 * and /healthz, /readyz, /metrics. CORS is open so the dashboard can call the API from its own origin.
 */
export function createServer(services: ControlPlaneServices, isReady: () => boolean, limits: { maxBodyBytes: number }) {
  const trpcHttp = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    createContext: ({ req }): Context => ({ ...services, actor: actorFrom(req.headers['x-trellis-user']) }),
  });
  // A tRPC message over WebSocket is held to the same limit as an HTTP body (ws closes with 1009 above it).
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes });
  const trpcWs = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: ({ req, info }): Context => ({ ...services, actor: actorFrom(req.headers['x-trellis-user'], info.connectionParams) }),
    keepAlive: { enabled: true, pingMs: 20_000, pongWaitMs: 5_000 },
  });

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('vary', 'origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (url.startsWith(`${TRPC_PREFIX}/`)) {
      req.url = resolveAliases(url);
      readBoundedBody(req, res, limits.maxBodyBytes, () => trpcHttp(req, res));
      return;
    }
    const path = url.split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      services.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': services.metrics.registry.contentType }).end(text),
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
      trpcWss.handleUpgrade(req, socket, head, (ws) => trpcWss.emit('connection', ws, req));
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
