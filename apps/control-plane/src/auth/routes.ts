import type http from 'node:http';
import { z } from 'zod';
import { CSRF_COOKIE, CSRF_HEADER, OIDC_COOKIE, SESSION_COOKIE, cookie, expiredCookie, readCookies } from './cookies.ts';
import { OidcError } from './oidc.ts';
import { describePrincipal, safeReturnTo } from './principal.ts';
import { clientAddress, header, isCrossSite, isHttps, readJson, redirect, sendError, sendJson } from './request.ts';
import type { Auth } from './service.ts';
import type { SignInMethod } from './sessions.ts';
import type { User } from '../generated/prisma/client.ts';
import type { Authenticator } from './authenticate.ts';

/** How long the token `trellis login` stores lasts. */
const CLI_TOKEN_TTL_MS = 30 * 24 * 3600_000;

const signInBody = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(200),
  /** Ask for an API token (the CLI) instead of a browser session. */
  token: z.object({ name: z.string().min(1).max(100) }).optional(),
});
const cliStartBody = z.object({ redirect: z.url(), challenge: z.string().min(43).max(128) });
const cliTokenBody = z.object({ code: z.string().min(1), verifier: z.string().min(43).max(128), name: z.string().min(1).max(100) });

function fieldMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/**
 * The HTTP routes under /auth that are not tRPC: they set and clear cookies and redirect browsers, which
 * tRPC procedures cannot. The dashboard serves them on its own origin by proxying them here.
 */
export class AuthRoutes {
  constructor(
    private readonly auth: Auth,
    private readonly authenticator: Authenticator,
  ) {}

  private sessionCookies(req: http.IncomingMessage, secret: string, csrf: string): string[] {
    const secure = isHttps(req);
    const maxAgeSeconds = this.auth.sessions.cookieMaxAgeSeconds();
    return [cookie(SESSION_COOKIE, secret, { maxAgeSeconds, httpOnly: true, secure }), cookie(CSRF_COOKIE, csrf, { maxAgeSeconds, httpOnly: false, secure })];
  }

  private async startSession(req: http.IncomingMessage, user: User, method: SignInMethod): Promise<string[]> {
    const { secret, csrf } = await this.auth.sessions.create(user.id, method, { address: clientAddress(req), userAgent: header(req, 'user-agent') });
    return this.sessionCookies(req, secret, csrf);
  }

  /** Handles /auth/*; returns false for other paths. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /auth/config':
        sendJson(res, 200, { sso: this.auth.oidc ? { label: this.auth.oidc.options.label } : null });
        return true;
      case 'POST /auth/sign-in':
        await this.signIn(req, res);
        return true;
      case 'POST /auth/sign-out':
        await this.signOut(req, res);
        return true;
      case 'GET /auth/link':
        await this.link(req, res, url);
        return true;
      case 'GET /auth/oidc/start':
        await this.oidcStart(req, res, url);
        return true;
      case 'GET /auth/oidc/callback':
        await this.oidcCallback(req, res, url);
        return true;
      case 'POST /auth/oidc/cli':
        await this.oidcCliStart(req, res);
        return true;
      case 'POST /auth/oidc/cli-token':
        await this.oidcCliToken(req, res);
        return true;
      default:
        if (!url.pathname.startsWith('/auth/')) return false;
        sendError(res, 404, 'NOT_FOUND', `no such route: ${route}`);
        return true;
    }
  }

  /**
   * A form post from another site cannot add a custom header, and a cross-site fetch that adds one needs
   * a CORS preflight we refuse: so requiring the header (and no cross-site Fetch Metadata) stops login CSRF.
   */
  private refuseCrossSite(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (header(req, CSRF_HEADER) && !isCrossSite(req)) return false;
    sendError(res, 403, 'FORBIDDEN', `cross-site request refused: send the ${CSRF_HEADER} header from the dashboard or the CLI`);
    return true;
  }

  private async body<T>(req: http.IncomingMessage, res: http.ServerResponse, schema: z.ZodType<T>): Promise<T | undefined> {
    let raw: unknown;
    try {
      raw = await readJson(req);
    } catch (err) {
      sendError(res, 400, 'BAD_REQUEST', `the body must be JSON: ${(err as Error).message}`);
      return undefined;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      sendError(res, 400, 'BAD_REQUEST', fieldMessage(parsed.error));
      return undefined;
    }
    return parsed.data;
  }

  private async signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.refuseCrossSite(req, res)) return;
    const body = await this.body(req, res, signInBody);
    if (!body) return;
    const outcome = await this.auth.signIn(body.username, body.password, clientAddress(req));
    if (!outcome.ok) {
      if (outcome.throttled) {
        const seconds = Math.ceil(outcome.throttled.retryAfterMs / 1000);
        sendJson(res, 429, { error: { message: outcome.message, code: 'TOO_MANY_REQUESTS', httpStatus: 429, retryAfterSeconds: seconds } }, { 'retry-after': String(seconds) });
      } else {
        sendError(res, 401, 'UNAUTHORIZED', outcome.message);
      }
      return;
    }
    const principal = this.auth.principalOf(outcome.user, 'session', '');
    if (body.token) {
      const { secret, token } = await this.auth.tokens.create({ name: body.token.name, userId: outcome.user.id, ttlMs: CLI_TOKEN_TTL_MS, createdBy: outcome.user.username });
      sendJson(res, 200, { user: describePrincipal({ ...principal, via: 'token' }), token: secret, expiresAt: token.expiresAt });
      return;
    }
    sendJson(res, 200, { user: describePrincipal(principal) }, { 'set-cookie': await this.startSession(req, outcome.user, 'password') });
  }

  /** Ends the session (or revokes the bearer token) the request came with, and clears the cookies. */
  private async signOut(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const result = await this.authenticator.http(req);
    if (result.refusal) {
      sendError(res, result.refusal.code === 'FORBIDDEN' ? 403 : 401, result.refusal.code, result.refusal.message);
      return;
    }
    const principal = result.principal;
    if (principal?.via === 'session') await this.auth.sessions.revoke(principal.credentialId);
    if (principal?.via === 'token') await this.auth.tokens.revoke(principal.credentialId);
    const secure = isHttps(req);
    res.writeHead(204, { 'set-cookie': [expiredCookie(SESSION_COOKIE, { secure, httpOnly: true }), expiredCookie(CSRF_COOKIE, { secure, httpOnly: false })] }).end();
  }

  /** A one-time sign-in link: a session, then the dashboard (the account page for someone who has no password yet, to choose one; else the graph). */
  private async link(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const used = await this.auth.links.consume(url.searchParams.get('token') ?? '');
    const user = used ? await this.auth.users.byId(used.userId) : null;
    if (!used || !user) {
      redirect(res, '/sign-in?error=link');
      return;
    }
    await this.auth.users.recordSignIn(user.id);
    redirect(res, user.passwordHash ? '/graph' : '/account?welcome=1', await this.startSession(req, user, 'link'));
  }

  private async oidcStart(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (!this.auth.oidc) {
      redirect(res, '/sign-in?error=sso-off');
      return;
    }
    try {
      const { url: issuerUrl, state } = await this.auth.oidc.start(safeReturnTo(url.searchParams.get('next')));
      redirect(res, issuerUrl, [cookie(OIDC_COOKIE, state, { maxAgeSeconds: 600, httpOnly: true, secure: isHttps(req), path: '/auth/oidc' })]);
    } catch (err) {
      redirect(res, `/sign-in?error=sso&message=${encodeURIComponent((err as Error).message)}`);
    }
  }

  private async oidcCallback(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const clearState = expiredCookie(OIDC_COOKIE, { secure: isHttps(req), httpOnly: true, path: '/auth/oidc' });
    if (!this.auth.oidc) {
      redirect(res, '/sign-in?error=sso-off', [clearState]);
      return;
    }
    try {
      const result = await this.auth.oidc.finish(url, readCookies(req)[OIDC_COOKIE]);
      const user = await this.auth.userForOidc(result.identity);
      if (result.cli) {
        const code = await this.auth.oidc.cliCode(result.cli.loginId, user.id);
        const back = new URL(result.cli.redirect);
        back.searchParams.set('code', code);
        redirect(res, back.href, [clearState]);
        return;
      }
      redirect(res, result.returnTo, [clearState, ...(await this.startSession(req, user, 'sso'))]);
    } catch (err) {
      if (!(err instanceof OidcError)) throw err;
      redirect(res, `/sign-in?error=sso&message=${encodeURIComponent(err.message)}`, [clearState]);
    }
  }

  /** `trellis login --sso`: the issuer URL for the CLI to open, with the CLI's loopback address and PKCE-style challenge. */
  private async oidcCliStart(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.refuseCrossSite(req, res)) return;
    if (!this.auth.oidc) {
      sendError(res, 404, 'NOT_FOUND', 'single sign-on is not configured on this control plane (--oidc-issuer); sign in with a password');
      return;
    }
    const body = await this.body(req, res, cliStartBody);
    if (!body) return;
    const redirectUrl = new URL(body.redirect);
    if (redirectUrl.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(redirectUrl.hostname)) {
      sendError(res, 400, 'BAD_REQUEST', 'redirect: must be an http://127.0.0.1:<port>/ address on the machine running the CLI');
      return;
    }
    try {
      const { url } = await this.auth.oidc.start('/graph', { redirect: redirectUrl.href, challenge: body.challenge });
      sendJson(res, 200, { url });
    } catch (err) {
      sendError(res, 502, 'BAD_GATEWAY', (err as Error).message);
    }
  }

  private async oidcCliToken(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.refuseCrossSite(req, res)) return;
    const body = await this.body(req, res, cliTokenBody);
    if (!body || !this.auth.oidc) {
      if (body) sendError(res, 404, 'NOT_FOUND', 'single sign-on is not configured on this control plane');
      return;
    }
    const userId = await this.auth.oidc.redeemCliCode(body.code, body.verifier);
    const user = userId ? await this.auth.users.byId(userId) : null;
    if (!user) {
      sendError(res, 401, 'UNAUTHORIZED', 'this sign-in code is unknown, used or expired; run `trellis login --sso` again');
      return;
    }
    const { secret, token } = await this.auth.tokens.create({ name: body.name, userId: user.id, ttlMs: CLI_TOKEN_TTL_MS, createdBy: user.username });
    sendJson(res, 200, { user: describePrincipal(this.auth.principalOf(user, 'token', token.id)), token: secret, expiresAt: token.expiresAt });
  }
}
