import type http from 'node:http';
import { CSRF_HEADER, SESSION_COOKIE, readCookies } from './cookies.ts';
import type { Principal } from './principal.ts';
import { header, isCrossSite } from './request.ts';
import { hashSecret, sameSecret } from './secrets.ts';
import type { Auth } from './service.ts';

/** Why a request is refused before any procedure runs (the tRPC middleware throws it). */
export interface Refusal {
  code: 'UNAUTHORIZED' | 'FORBIDDEN';
  message: string;
}

export interface Authentication {
  principal: Principal | null;
  refusal?: Refusal;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerOf(req: http.IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  return m?.[1];
}

/** Who a request or WebSocket connection is: API token (Bearer), the bootstrap token, or a browser session. */
export class Authenticator {
  constructor(private readonly auth: Auth) {}

  /**
   * An HTTP request. A session cookie counts for state-changing methods only with the session's CSRF
   * token in x-trellis-csrf (which a cross-site form cannot send) and no cross-site Fetch Metadata.
   */
  async http(req: http.IncomingMessage): Promise<Authentication> {
    const bearer = bearerOf(req);
    if (bearer) return this.bearer(bearer);
    const sessionSecret = readCookies(req)[SESSION_COOKIE];
    if (!sessionSecret) return { principal: null };
    const found = await this.auth.session(sessionSecret);
    if (!found) return { principal: null, refusal: { code: 'UNAUTHORIZED', message: 'your session has ended (signed out, expired or revoked); sign in again' } };
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const sent = header(req, CSRF_HEADER);
      if (isCrossSite(req) || !sent || !sameSecret(hashSecret(sent), found.csrfHash)) {
        return {
          principal: null,
          refusal: { code: 'FORBIDDEN', message: `cross-site request refused: a change made with a session cookie must carry the session's ${CSRF_HEADER} header (the dashboard sends it)` },
        };
      }
    }
    return { principal: found.principal };
  }

  /**
   * A WebSocket connection: a Bearer header or a `token` in the connection params (the CLI), or a session
   * cookie (its Origin was checked at the upgrade).
   */
  async webSocket(req: http.IncomingMessage, connectionParams: Record<string, unknown> | null | undefined): Promise<Authentication> {
    const fromParams = connectionParams?.token;
    const bearer = bearerOf(req) ?? (typeof fromParams === 'string' && fromParams ? fromParams : undefined);
    if (bearer) return this.bearer(bearer);
    const sessionSecret = readCookies(req)[SESSION_COOKIE];
    if (!sessionSecret) return { principal: null };
    const found = await this.auth.session(sessionSecret);
    return found ? { principal: found.principal } : { principal: null, refusal: { code: 'UNAUTHORIZED', message: 'your session has ended; sign in again' } };
  }

  private async bearer(secret: string): Promise<Authentication> {
    const principal = await this.auth.bearer(secret);
    return principal
      ? { principal }
      : { principal: null, refusal: { code: 'UNAUTHORIZED', message: 'this API token is unknown, revoked or expired; run `trellis login`, or ask an admin for a new token' } };
  }
}
