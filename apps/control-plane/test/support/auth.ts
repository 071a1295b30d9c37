import type { Role } from '../../src/auth/permissions.ts';
import { apiClient } from './control-plane.ts';

export const PASSWORD = 'correct horse battery staple';

/** Creates a person through the API (as the bootstrap admin) with PASSWORD. */
export async function createUser(url: string, username: string, role: Role, namespaces: string[] = []) {
  return apiClient(url).users.create.mutate({ username, role, namespaces, password: PASSWORD });
}

/** POST /auth/sign-in as the dashboard or the CLI sends it. */
export function postSignIn(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-trellis-csrf': '1', ...headers },
    body: JSON.stringify(body),
  });
}

/** Signs in as the CLI does and returns the API token it gets. */
export async function signInToken(url: string, username: string, password = PASSWORD): Promise<string> {
  const res = await postSignIn(url, { username, password, token: { name: 'test cli' } });
  if (res.status !== 200) throw new Error(`sign-in as ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A browser session: the Cookie header it sends and the CSRF token its pages send back. */
export interface BrowserSession {
  cookie: string;
  csrf: string;
  setCookie: string[];
}

/** Signs in as the dashboard does; returns the session's cookies. */
export async function signInSession(url: string, username: string, password = PASSWORD): Promise<BrowserSession> {
  const res = await postSignIn(url, { username, password });
  if (res.status !== 200) throw new Error(`sign-in as ${username}: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.getSetCookie();
  const value = (name: string) => setCookie.find((c) => c.startsWith(`${name}=`))?.split(';')[0]?.slice(name.length + 1) ?? '';
  return { cookie: `trellis_session=${value('trellis_session')}; trellis_csrf=${value('trellis_csrf')}`, csrf: decodeURIComponent(value('trellis_csrf')), setCookie };
}

/** A tRPC POST (mutation) as plain HTTP, with whatever credentials `headers` carry. */
export function postProcedure(url: string, procedure: string, input: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });
}

/** A tRPC GET (query) as plain HTTP. */
export function getProcedure(url: string, procedure: string, input: unknown, headers: Record<string, string> = {}) {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return fetch(`${url}/trpc/${procedure}${qs}`, { headers });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
