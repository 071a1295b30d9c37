import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Authenticator, type Authentication } from './authenticate.ts';
import { permissionsOf } from './principal.ts';
import { header, sendError } from './request.ts';
import { AuthRoutes } from './routes.ts';
import type { Auth } from './service.ts';

function rejectUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** What the API's context knows about the caller before the permission middleware looks at it. */
export interface CallerContext extends Authentication {
  transport: 'http' | 'ws';
}

/**
 * The control plane's doors, as small functions server.ts calls: CORS, the /auth routes, who is calling
 * (for tRPC over HTTP and WebSocket), the WebSocket Origin check and /metrics.
 */
export function createAuthHttp(auth: Auth) {
  const authenticator = new Authenticator(auth);
  const routes = new AuthRoutes(auth, authenticator);
  const corsOrigins = new Set(auth.options.corsOrigins ?? []);
  // Browsers' WebSockets are not bound by CORS: only pages of the dashboard (or listed origins) may open one.
  const socketOrigins = new Set([new URL(auth.options.dashboardUrl).origin, ...corsOrigins]);

  return {
    /**
     * CORS is off unless origins were listed (--cors-origin): only those get Access-Control-Allow-*.
     * Answers preflights itself; returns true when the request was answered.
     */
    cors(req: http.IncomingMessage, res: http.ServerResponse): boolean {
      const origin = header(req, 'origin');
      const allowed = origin !== undefined && corsOrigins.has(origin);
      if (allowed) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-allow-credentials', 'true');
      }
      res.setHeader('vary', 'origin');
      if (req.method !== 'OPTIONS') return false;
      if (!allowed) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end(`origin ${origin ?? '(none)'} may not call this API; list it with --cors-origin to allow it\n`);
        return true;
      }
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization, x-trellis-csrf, trpc-accept',
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    },

    /** Serves /auth/*; returns false for other paths. */
    routes(req: http.IncomingMessage, res: http.ServerResponse): boolean {
      if (!(req.url ?? '').startsWith('/auth/')) return false;
      const url = new URL(`http://control-plane${req.url ?? ''}`);
      routes.handle(req, res, url).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', (err as Error).message);
        else res.destroy();
      });
      return true;
    },

    /** The caller of a tRPC HTTP request. */
    async httpCaller(req: http.IncomingMessage): Promise<CallerContext> {
      return { ...(await authenticator.http(req)), transport: 'http' };
    },

    /** The caller of a tRPC WebSocket connection. */
    async webSocketCaller(req: http.IncomingMessage, connectionParams: Record<string, unknown> | null | undefined): Promise<CallerContext> {
      return { ...(await authenticator.webSocket(req, connectionParams)), transport: 'ws' };
    },

    /**
     * Refuses a WebSocket upgrade from a browser page of another origin (403), or one whose bearer token
     * or session cookie is not good (401); resolves true when refused. An upgrade with no credentials is
     * let through: the CLI sends its token in the first message (connection params), and every call
     * without one is answered 401.
     */
    async refuseUpgrade(req: http.IncomingMessage, socket: Duplex): Promise<boolean> {
      const origin = header(req, 'origin');
      if (origin !== undefined && !socketOrigins.has(origin)) {
        rejectUpgrade(socket, 403, 'Forbidden', `origin ${origin} may not open this WebSocket; the dashboard's origin is ${[...socketOrigins][0] ?? ''} (--dashboard-url, --cors-origin)`);
        return true;
      }
      const { refusal } = await authenticator.webSocket(req, null);
      if (!refusal) return false;
      rejectUpgrade(socket, 401, 'Unauthorized', refusal.message);
      return true;
    },

    /** /metrics needs mesh:read unless the control plane was started with --public-metrics; answers 401/403 itself. */
    async metricsAllowed(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
      if (auth.options.publicMetrics) return true;
      const { principal, refusal } = await authenticator.http(req);
      if (principal && permissionsOf(principal.role).includes('mesh:read')) return true;
      if (principal) sendError(res, 403, 'FORBIDDEN', `your role (${principal.role}) cannot read metrics`);
      else sendError(res, 401, 'UNAUTHORIZED', refusal?.message ?? 'metrics need credentials: send Authorization: Bearer <token> (or start the control plane with --public-metrics)');
      return false;
    },
  };
}

export type AuthHttp = ReturnType<typeof createAuthHttp>;
