import type { RouterOutputs } from './trpc';

/** Who the signed-in person (or token) is, as `auth.me` says. */
export type Me = RouterOutputs['auth']['me'];

/**
 * `auth.me` asked by the dashboard server with the browser's cookie: who it is, 'signed-out' when the
 * control plane does not accept the session, null when it cannot be reached.
 */
export async function fetchMe(server: string, cookie: string): Promise<Me | 'signed-out' | null> {
  try {
    const res = await fetch(`${server.replace(/\/+$/, '')}/trpc/auth.me`, { headers: { cookie }, cache: 'no-store', signal: AbortSignal.timeout(3000) });
    if (res.status === 401) return 'signed-out';
    if (!res.ok) return null;
    return ((await res.json()) as { result?: { data?: Me } }).result?.data ?? null;
  } catch {
    return null;
  }
}

/** What the sign-in page offers besides a password. */
export async function fetchSignInOptions(server: string): Promise<{ sso: { label: string } | null }> {
  try {
    const res = await fetch(`${server.replace(/\/+$/, '')}/auth/config`, { cache: 'no-store', signal: AbortSignal.timeout(3000) });
    return (await res.json()) as { sso: { label: string } | null };
  } catch {
    return { sso: null };
  }
}

/** The session's CSRF token, which the control plane wants back in x-trellis-csrf on every change. */
export function csrfToken(): string {
  if (typeof document === 'undefined') return '';
  const m = /(?:^|;\s*)trellis_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : '';
}

/** A dashboard path to return to after signing in (never another site). */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') && !next.startsWith('/sign-in') ? next : '/graph';
}

/** Sends the browser to sign in, to come back to where it is now. */
export function goToSignIn(): void {
  if (typeof window === 'undefined' || window.location.pathname.startsWith('/sign-in')) return;
  const here = `${window.location.pathname}${window.location.search}`;
  window.location.assign(`/sign-in?next=${encodeURIComponent(here)}&expired=1`);
}
