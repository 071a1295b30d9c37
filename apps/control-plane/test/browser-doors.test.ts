import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { PASSWORD, createUser, getProcedure, signInSession, type BrowserSession } from './support/auth.ts';

const DASHBOARD = 'http://127.0.0.1:7401';
const EVIL = 'http://evil.example';

/** Opens a WebSocket to /trpc as a browser page of `origin` would; resolves with the upgrade's status. */
function openSocket(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/trpc`, { headers });
    ws.once('open', () => resolve({ status: 101, body: '', ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** One tRPC call over an open socket (the JSON-RPC messages tRPC's ws link sends). */
function call(ws: WebSocket, method: 'query' | 'mutation', path: string, input: unknown): Promise<{ error?: { data?: { code?: string } }; result?: unknown }> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 1e9);
    const onMessage = (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; error?: { data?: { code?: string } }; result?: unknown };
      if (msg.id !== id) return;
      ws.off('message', onMessage);
      resolve(msg);
    };
    ws.on('message', onMessage);
    // No connection params for this socket (it authenticated with its cookie).
    ws.send(JSON.stringify({ id, method, params: { path, input } }));
  });
}

// The doors a browser can be tricked into using: another site's form posting to the API with the user's
// cookie, another site's script calling it (CORS), and another site's page opening a WebSocket.
describe.each(DATABASES.slice(0, 1))('browser doors on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let session: BrowserSession;
  const url = () => env.cp.url;
  const names = async () => (await env.client.resources.list.query({})).map((r) => r.metadata.name);
  beforeAll(async () => {
    db = await create();
    env = await startTestControlPlane({ ...db.options, dashboardUrl: DASHBOARD, corsOrigins: ['https://ops.example.com'] });
    await createUser(url(), 'ed', 'editor');
    session = await signInSession(url(), 'ed');
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('refuses a cross-site form POST carrying the session cookie, and writes nothing', async () => {
    // What a form on evil.example can send: the cookie, a form encoding, no custom header.
    const form = new FormData();
    form.set('resource', JSON.stringify(retryPolicy('forged')));
    const res = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: EVIL, 'sec-fetch-site': 'cross-site' },
      body: form,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross-site request refused');
    // enctype="text/plain" (to smuggle JSON): not a content type the API takes at all.
    const plain = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: EVIL, 'content-type': 'text/plain' },
      body: JSON.stringify({ resource: retryPolicy('forged') }),
    });
    expect(plain.status).toBe(415);
    // A guessed or stale CSRF token is refused the same way, also when the browser sends no Fetch Metadata.
    const guessed = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-trellis-csrf': 'guess', 'content-type': 'application/json' },
      body: JSON.stringify({ resource: retryPolicy('forged') }),
    });
    expect(guessed.status).toBe(403);
    // The right token from a cross-site context is still refused (Fetch Metadata).
    const crossSite = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-trellis-csrf': session.csrf, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: JSON.stringify({ resource: retryPolicy('forged') }),
    });
    expect(crossSite.status).toBe(403);
    expect(await names()).not.toContain('forged-retry');

    // The dashboard's own call: same-origin, with the token from the cookie it can read.
    const own = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-trellis-csrf': session.csrf, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: JSON.stringify({ resource: retryPolicy('own') }),
    });
    expect(own.status).toBe(200);
    expect(await names()).toContain('own-retry');
    // Reads need no token (they change nothing).
    expect((await getProcedure(url(), 'resources.list', {}, { cookie: session.cookie })).status).toBe(200);
  });

  it('refuses a sign-in form posted from another site (login CSRF)', async () => {
    const res = await fetch(`${url()}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL },
      body: new URLSearchParams({ username: 'ed', password: PASSWORD }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('answers CORS only for listed origins: a preflight from another origin gets no Allow-Origin', async () => {
    const evil = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await getProcedure(url(), 'resources.list', {}, { origin: EVIL, cookie: session.cookie });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();

    const listed = await fetch(`${url()}/trpc/resources.apply`, {
      method: 'OPTIONS',
      headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://ops.example.com');
    expect(listed.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('refuses a WebSocket from another origin, even with the cookie; the dashboard\'s origin gets one', async () => {
    const evil = await openSocket(url(), { origin: EVIL, cookie: session.cookie });
    expect(evil.status).toBe(403);
    expect(evil.body).toContain(`origin ${EVIL} may not open this WebSocket`);
    // Credentials that are there but no good are refused at the upgrade itself.
    const badToken = await openSocket(url(), { authorization: 'Bearer trt_not-a-real-token' });
    expect(badToken.status).toBe(401);
    expect(badToken.body).toContain('unknown, revoked or expired');
    const badCookie = await openSocket(url(), { origin: DASHBOARD, cookie: 'trellis_session=trs_not-a-session' });
    expect(badCookie.status).toBe(401);

    const own = await openSocket(url(), { origin: DASHBOARD, cookie: session.cookie });
    expect(own.status).toBe(101);
    const ws = own.ws;
    if (!ws) throw new Error('no socket');
    try {
      const me = await call(ws, 'query', 'auth.me', undefined);
      expect(me.result).toMatchObject({ type: 'data', data: { name: 'ed', role: 'editor' } });
      // A socket with no credentials at all gets 401 on every call.
      const anon = await openSocket(url(), {});
      const refused = await call(anon.ws as WebSocket, 'mutation', 'resources.upsert', { resource: retryPolicy('ws-anon') });
      expect(refused.error?.data?.code).toBe('UNAUTHORIZED');
      anon.ws?.close();
    } finally {
      ws.close();
    }
    expect(await names()).not.toContain('ws-anon-retry');
  });
});
