import type http from 'node:http';

export const SESSION_COOKIE = 'trellis_session';
/** Readable by the dashboard's scripts, which send it back in x-trellis-csrf. */
export const CSRF_COOKIE = 'trellis_csrf';
/** The state of an OpenID Connect sign-in in progress, tying the issuer's answer to this browser. */
export const OIDC_COOKIE = 'trellis_oidc';
export const CSRF_HEADER = 'x-trellis-csrf';

/** The cookies a request carries (the first of each name). */
export function readCookies(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A value that is not valid percent-encoding is not one of ours.
    }
  }
  return out;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  httpOnly: boolean;
  secure: boolean;
  path?: string;
}

/** A Set-Cookie value: always SameSite=Lax (sent on top-level navigations, never on cross-site POSTs or fetches). */
export function cookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'SameSite=Lax',
    ...(options.httpOnly ? ['HttpOnly'] : []),
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** A Set-Cookie value that removes the cookie. */
export function expiredCookie(name: string, options: { secure: boolean; httpOnly: boolean; path?: string }): string {
  return cookie(name, '', { ...options, maxAgeSeconds: 0 });
}
