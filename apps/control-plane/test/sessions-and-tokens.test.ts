import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { apiClient, retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { PASSWORD, bearer, createUser, getProcedure, postProcedure, signInSession, signInToken, type BrowserSession } from './support/auth.ts';

const sessionHeaders = (s: BrowserSession) => ({ cookie: s.cookie, 'x-trellis-csrf': s.csrf });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES)('sessions and API tokens on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const url = () => env.cp.url;
  beforeAll(async () => {
    db = await create();
    // Short lifetimes, so expiry happens within the test; running subscriptions checked again every
    // 500 ms (5 s by default), so a revocation's effect is seen without waiting out the default.
    env = await startTestControlPlane({ ...db.options, sessions: { idleMs: 1500, maxAgeMs: 4000, recheckMs: 500 } });
    await createUser(url(), 'ed', 'editor');
    await createUser(url(), 'ann', 'editor');
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('sets the session cookie httpOnly and SameSite=Lax, Secure only under HTTPS, and keeps only hashes of secrets', async () => {
    const session = await signInSession(url(), 'ed');
    const sessionCookie = session.setCookie.find((c) => c.startsWith('trellis_session='));
    expect(sessionCookie).toMatch(/; Path=\/; Max-Age=4; SameSite=Lax; HttpOnly$/);
    expect(session.setCookie.find((c) => c.startsWith('trellis_csrf='))).toMatch(/; SameSite=Lax$/);
    // Through the dashboard on HTTPS (it says so in X-Forwarded-Proto, from this machine).
    const https = await fetch(`${url()}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trellis-csrf': '1', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ username: 'ed', password: PASSWORD }),
    });
    expect(https.headers.getSetCookie().every((c) => c.endsWith('; Secure'))).toBe(true);

    const secret = decodeURIComponent(/trellis_session=([^;]+)/.exec(session.cookie)?.[1] ?? '');
    const token = await signInToken(url(), 'ed');
    const rows = JSON.stringify([
      await env.cp.services.prisma.session.findMany(),
      await env.cp.services.prisma.apiToken.findMany(),
      await env.cp.services.prisma.user.findMany(),
    ]);
    expect(secret).toMatch(/^trs_/);
    expect(rows).not.toContain(secret);
    expect(rows).not.toContain(token);
    expect(rows).not.toContain(PASSWORD);
    expect(rows).toContain('$argon2id$');
  });

  it('fails a revoked token on its next call, over HTTP and on an open WebSocket', async () => {
    const created = await env.client.tokens.create.mutate({ name: 'deploy bot', role: 'editor', ttlSeconds: 3600 });
    expect(created.token).toMatch(/^trt_/);
    expect((await getProcedure(url(), 'resources.list', {}, bearer(created.token))).status).toBe(200);
    const ws = createWSClient({ url: `${url().replace(/^http/, 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: { token: created.token } });
    const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    try {
      expect(Array.isArray(await api.resources.list.query({}))).toBe(true);
      await env.client.tokens.revoke.mutate({ id: created.id });
      const res = await getProcedure(url(), 'resources.list', {}, bearer(created.token));
      expect(res.status).toBe(401);
      await expect(api.resources.upsert.mutate({ resource: retryPolicy('after-revoke') })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    } finally {
      await ws.close();
    }
    expect((await env.client.tokens.list.query()).map((t) => t.name)).not.toContain('deploy bot');
  });

  it('ends a running subscription (the live graph) within seconds of revoking its token', async () => {
    const created = await env.client.tokens.create.mutate({ name: 'wallboard', role: 'viewer', ttlSeconds: 3600 });
    const ws = createWSClient({ url: `${url().replace(/^http/, 'ws')}/trpc`, WebSocket: WebSocket as never, connectionParams: { token: created.token } });
    const api = createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] });
    try {
      let updates = 0;
      const ended = new Promise<{ code?: string }>((resolve) => {
        api.graph.live.subscribe({}, { onData: () => void updates++, onError: (err) => resolve((err as { data?: { code?: string } }).data ?? {}) });
      });
      while (updates === 0) await new Promise((r) => setTimeout(r, 50));
      const revokedAt = Date.now();
      await env.client.tokens.revoke.mutate({ id: created.id });
      expect(await ended).toMatchObject({ code: 'UNAUTHORIZED' });
      // Checked again every 500 ms here (recheckMs above).
      expect(Date.now() - revokedAt).toBeLessThan(2_500);
    } finally {
      await ws.close();
    }
  });

  it('fails a revoked session on its next call, and signing out ends it', async () => {
    const first = await signInSession(url(), 'ann');
    const second = await signInSession(url(), 'ann');
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(first))).status).toBe(200);
    const ann = (await env.client.users.list.query()).find((u) => u.username === 'ann');
    expect(ann?.sessions).toBe(2);
    await env.client.users.revokeSessions.mutate({ id: ann?.id ?? '' });
    const after = await getProcedure(url(), 'auth.me', undefined, sessionHeaders(first));
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('your session has ended');

    const third = await signInSession(url(), 'ann');
    const out = await fetch(`${url()}/auth/sign-out`, { method: 'POST', headers: sessionHeaders(third) });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => c.startsWith('trellis_session=;') && c.includes('Max-Age=0'))).toBe(true);
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(third))).status).toBe(401);
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(second))).status).toBe(401);
  });

  it('ends a session left idle, and one past its absolute lifetime however busy', async () => {
    const idle = await signInSession(url(), 'ed');
    const busy = await signInSession(url(), 'ed');
    const started = Date.now();
    let lastBusy = 200;
    while (Date.now() - started < 2200) {
      lastBusy = (await getProcedure(url(), 'auth.me', undefined, sessionHeaders(busy))).status;
      expect(lastBusy).toBe(200);
      await sleep(250);
    }
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(idle))).status).toBe(401);
    while (Date.now() - started < 4300) {
      await getProcedure(url(), 'auth.me', undefined, sessionHeaders(busy));
      await sleep(250);
    }
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(busy))).status).toBe(401);
  });

  it('signs in with a one-time link once; the link then fails', async () => {
    const invited = await env.client.users.create.mutate({ username: 'newcomer', role: 'viewer' });
    const link = new URL(invited.link?.url ?? '');
    expect(link.pathname).toBe('/auth/link');
    const first = await fetch(`${url()}${link.pathname}${link.search}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/account?welcome=1');
    const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const me = (await (await getProcedure(url(), 'auth.me', undefined, { cookie })).json()) as { result: { data: { name: string; hasPassword: boolean } } };
    expect(me.result.data).toMatchObject({ name: 'newcomer', hasPassword: false });
    const again = await fetch(`${url()}${link.pathname}${link.search}`, { redirect: 'manual' });
    expect(again.headers.get('location')).toBe('/sign-in?error=link');
    expect(again.headers.getSetCookie()).toEqual([]);

    // Signed in by the link, they set a password without knowing one, and can sign in with it.
    const csrf = decodeURIComponent(/trellis_csrf=([^;]+)/.exec(cookie)?.[1] ?? '');
    const set = await postProcedure(url(), 'auth.changePassword', { newPassword: 'a new long password' }, { cookie, 'x-trellis-csrf': csrf });
    expect(set.status).toBe(200);
    expect((await signInSession(url(), 'newcomer', 'a new long password')).csrf).not.toBe('');
  });

  it('asks for the current password to change it in a password session, and ends the other sessions', async () => {
    await createUser(url(), 'pat', 'viewer');
    const other = await signInSession(url(), 'pat');
    const here = await signInSession(url(), 'pat');
    const wrong = await postProcedure(url(), 'auth.changePassword', { currentPassword: 'not it at all', newPassword: 'pat new password' }, sessionHeaders(here));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('currentPassword: wrong password');
    const short = await postProcedure(url(), 'auth.changePassword', { currentPassword: PASSWORD, newPassword: 'short' }, sessionHeaders(here));
    expect(await short.text()).toContain('newPassword: must be at least 10 characters');
    const ok = await postProcedure(url(), 'auth.changePassword', { currentPassword: PASSWORD, newPassword: 'pat new password' }, sessionHeaders(here));
    expect(((await ok.json()) as { result: { data: unknown } }).result.data).toEqual({ otherSessionsEnded: 1 });
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(here))).status).toBe(200);
    expect((await getProcedure(url(), 'auth.me', undefined, sessionHeaders(other))).status).toBe(401);
  });

  it('keeps the last admin an admin', async () => {
    const users = await apiClient(url()).users.list.query();
    expect(users.filter((u) => u.role === 'admin').map((u) => u.username)).toEqual(['admin']);
    const admin = users.find((u) => u.username === 'admin');
    await expect(env.client.users.update.mutate({ id: admin?.id ?? '', role: 'viewer' })).rejects.toMatchObject({ data: { code: 'CONFLICT' }, message: expect.stringContaining('last admin') });
    await expect(env.client.users.remove.mutate({ id: admin?.id ?? '' })).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
  });
});
