import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoleMappings } from '../src/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { ISSUER_CLIENT, startOidcIssuer, type IssuerPerson } from './support/oidc-issuer.ts';
import { TestBrowser } from './support/browser.ts';
import { getProcedure } from './support/auth.ts';

/** The dashboard's origin as the issuer and browsers know it; the test browser reaches the control plane behind it, as the dashboard's proxy does. */
const DASHBOARD = 'http://dashboard.test';

// Single sign-on end to end against a real OpenID Connect issuer: the browser goes to the issuer, signs
// in on its page, consents, comes back with a code; the control plane exchanges it (PKCE, state, nonce
// checked by openid-client), reads the groups claim and maps it to a role.
describe.each(DATABASES)('OIDC sign-in on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
  const people: Record<string, IssuerPerson> = {
    olga: { groups: ['platform', 'everyone'] },
    sam: { groups: ['shop-devs', 'everyone'] },
    rita: { groups: ['everyone'] },
    mallory: { groups: ['contractors'] },
  };
  beforeAll(async () => {
    db = await create();
    issuer = await startOidcIssuer({ redirectUris: [`${DASHBOARD}/auth/oidc/callback`], people });
    env = await startTestControlPlane({
      ...db.options,
      dashboardUrl: DASHBOARD,
      oidc: {
        issuer: issuer.issuer,
        clientId: ISSUER_CLIENT.id,
        clientSecret: ISSUER_CLIENT.secret,
        redirectUrl: `${DASHBOARD}/auth/oidc/callback`,
        scopes: 'openid profile email groups',
        groupsClaim: 'groups',
        roles: parseRoleMappings(['platform=admin;shop-devs=editor:shop', 'everyone=viewer']),
        label: 'Sign in with Test SSO',
      },
    });
  });
  afterAll(async () => {
    await env?.cp.close();
    await issuer?.close();
    await db?.cleanup();
  });

  /** The whole browser journey: start, the issuer's sign-in and consent pages, back to the dashboard. */
  async function signInWithSso(browser: TestBrowser, login: string, next = '/policies') {
    const loginPage = await browser.visit(`${DASHBOARD}/auth/oidc/start?next=${encodeURIComponent(next)}`);
    expect(loginPage.url.startsWith(issuer.issuer)).toBe(true);
    expect(loginPage.body).toContain('name="login"');
    const consent = await browser.submit(loginPage, { login, password: 'anything' });
    return consent.body.includes('name="prompt" value="consent"') ? browser.submit(consent) : consent;
  }

  async function me(browser: TestBrowser) {
    const cookie = `trellis_session=${browser.cookie(DASHBOARD, 'trellis_session') ?? ''}`;
    const res = await getProcedure(env.cp.url, 'auth.me', undefined, { cookie });
    return { status: res.status, me: ((await res.json()) as { result?: { data: { name: string; role: string; namespaces: string[] } } }).result?.data };
  }

  it('offers the SSO button on the sign-in page', async () => {
    expect(await (await fetch(`${env.cp.url}/auth/config`)).json()).toEqual({ sso: { label: 'Sign in with Test SSO' } });
  });

  it('signs people in through the issuer, with roles from their groups, and returns to the page they asked for', async () => {
    const olga = new TestBrowser({ [DASHBOARD]: env.cp.url });
    const landed = await signInWithSso(olga, 'olga', '/policies?kind=RetryPolicy');
    expect(landed.visited.some((u) => u.startsWith(`${DASHBOARD}/auth/oidc/callback?code=`))).toBe(true);
    expect(landed.url).toBe(`${DASHBOARD}/policies?kind=RetryPolicy`);
    expect(await me(olga)).toEqual({ status: 200, me: expect.objectContaining({ name: 'olga', role: 'admin', namespaces: [] }) });

    const sam = new TestBrowser({ [DASHBOARD]: env.cp.url });
    await signInWithSso(sam, 'sam');
    expect((await me(sam)).me).toMatchObject({ name: 'sam', role: 'editor', namespaces: ['shop'] });

    const rita = new TestBrowser({ [DASHBOARD]: env.cp.url });
    await signInWithSso(rita, 'rita');
    expect((await me(rita)).me).toMatchObject({ name: 'rita', role: 'viewer' });
    expect((await env.client.users.list.query()).filter((u) => u.sso).map((u) => u.username).sort()).toEqual(['olga', 'rita', 'sam']);
  });

  it('takes a change of groups at the issuer at the next sign-in', async () => {
    people.rita = { groups: ['everyone', 'shop-devs'] };
    const rita = new TestBrowser({ [DASHBOARD]: env.cp.url });
    await signInWithSso(rita, 'rita');
    expect((await me(rita)).me).toMatchObject({ name: 'rita', role: 'editor', namespaces: ['shop'] });
  });

  it('refuses someone in no mapped group, saying which groups they have', async () => {
    const browser = new TestBrowser({ [DASHBOARD]: env.cp.url });
    const landed = await signInWithSso(browser, 'mallory');
    const at = new URL(landed.url);
    expect(at.pathname).toBe('/sign-in');
    expect(at.searchParams.get('error')).toBe('sso');
    expect(at.searchParams.get('message')).toContain('none of their groups (contractors) is mapped to a Trellis role');
    expect(browser.cookie(DASHBOARD, 'trellis_session')).toBeUndefined();
  });

  it('refuses an answer from the issuer brought back by another browser (login CSRF)', async () => {
    const attacker = new TestBrowser({ [DASHBOARD]: env.cp.url });
    const page = await attacker.visit(`${DASHBOARD}/auth/oidc/start`);
    const consent = await attacker.submit(page, { login: 'olga', password: 'x' });
    // Stop before the callback: that URL (with the attacker's code) is what they would make a victim open.
    const form = /action="([^"]+)"/.exec(consent.body)?.[1] ?? '';
    const submitted = consent.body.includes('value="consent"')
      ? await attacker.fetch(new URL(form, consent.url).href, { method: 'POST', form: { prompt: 'consent' } })
      : consent;
    let next = submitted.location ?? '';
    while (next && !next.startsWith(`${DASHBOARD}/auth/oidc/callback`)) next = (await attacker.fetch(next)).location ?? '';
    expect(next).toContain('code=');
    const victim = new TestBrowser({ [DASHBOARD]: env.cp.url });
    const landed = await victim.visit(next);
    expect(new URL(landed.url).searchParams.get('message')).toContain('started in another browser');
    expect(victim.cookie(DASHBOARD, 'trellis_session')).toBeUndefined();
  });

  it('signs the CLI in through a loopback redirect, and gives it a token only for the verifier it started with', async () => {
    const codes: string[] = [];
    const loopback = http.createServer((req, res) => {
      codes.push(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('code') ?? '');
      res.end('signed in');
    });
    await new Promise<void>((r) => loopback.listen(0, '127.0.0.1', () => r()));
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    try {
      const started = await fetch(`${env.cp.url}/auth/oidc/cli`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-trellis-csrf': '1' },
        body: JSON.stringify({ redirect: `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/callback`, challenge }),
      });
      const { url } = (await started.json()) as { url: string };
      const browser = new TestBrowser({ [DASHBOARD]: env.cp.url });
      const page = await browser.visit(url);
      const consent = await browser.submit(page, { login: 'sam', password: 'x' });
      if (consent.body.includes('value="consent"')) await browser.submit(consent);
      expect(codes).toHaveLength(1);
      const exchange = (code: string | undefined, v: string) =>
        fetch(`${env.cp.url}/auth/oidc/cli-token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-trellis-csrf': '1' },
          body: JSON.stringify({ code, verifier: v, name: 'cli on laptop' }),
        });
      // Someone who saw the code but not the CLI's verifier gets nothing, and the code is used up.
      expect((await exchange(codes[0], randomBytes(32).toString('base64url'))).status).toBe(401);
      expect((await exchange(codes[0], verifier)).status).toBe(401);
      const again = await fetch(`${env.cp.url}/auth/oidc/cli`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-trellis-csrf': '1' },
        body: JSON.stringify({ redirect: `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/callback`, challenge }),
      });
      // The issuer remembers sam's session: straight back to the loopback.
      await browser.visit(((await again.json()) as { url: string }).url);
      expect(codes).toHaveLength(2);
      const good = await exchange(codes[1], verifier);
      expect(good.status).toBe(200);
      const body = (await good.json()) as { token: string; user: { name: string; role: string } };
      expect(body.user).toMatchObject({ name: 'sam', role: 'editor' });
      const whoami = await getProcedure(env.cp.url, 'auth.me', undefined, { authorization: `Bearer ${body.token}` });
      expect(((await whoami.json()) as { result: { data: { name: string } } }).result.data.name).toBe('sam');
    } finally {
      loopback.close();
    }
  });
});
