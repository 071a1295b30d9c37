import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import type { Span } from '@trellis/shared';
import { repoRoot, startControlPlaneProcess, testConfigHome, trellis } from './support/run.ts';
import { joinToken } from './support/mesh.ts';

const ADMIN_PASSWORD = 'cli test admin password';
/** As a person at the terminal: no TRELLIS_TOKEN, only what `trellis login` stored. */
const asPerson = { TRELLIS_TOKEN: '' };

const RETRY = (name: string, namespace: string) => `apiVersion: trellis.dev/v1alpha1
kind: RetryPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  targetRef: {kind: Service, name: payments}
  attempts: 2
`;

/** A request catalog's proxy saw, as it reports it. */
function serverSpan(service: string, path: string): Span {
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    kind: 'server',
    service,
    name: `GET ${path}`,
    startMs: Date.now(),
    durationMs: 12.5,
    status: 200,
    error: false,
    attributes: { route: 'default', 'http.method': 'GET', 'http.path': path, source: 'frontend.default' },
  };
}

/** Every file under `dir`, as bytes. */
async function filesUnder(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(path.join(entry.parentPath, entry.name)));
  }
  return out;
}

describe('first run of trellis control-plane', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>> | undefined;
  afterAll(async () => {
    await cp?.stop();
  });

  it('creates an admin and prints one one-time sign-in link that works once, keeps its secret off the disk, and prints none on the next start', async () => {
    cp = await startControlPlaneProcess({ env: { TRELLIS_BOOTSTRAP_TOKEN: '' } });
    const line = /first run: created the user "admin"; sign in once with (http:\/\/127\.0\.0\.1:7401\/auth\/link\?token=(trl_[\w-]+)) \(single use, 15 minutes\), then set a password/.exec(cp.output());
    expect(line, cp.output()).not.toBeNull();
    expect(cp.output().match(/auth\/link/g)).toHaveLength(1);
    const secret = line?.[2] ?? '';
    // The link's path, served by the control plane (the dashboard passes it through).
    const first = await fetch(`${cp.url}/auth/link?token=${secret}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/graph');
    const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const me = await fetch(`${cp.url}/trpc/auth.me`, { headers: { cookie } });
    expect(((await me.json()) as { result: { data: { name: string; role: string } } }).result.data).toMatchObject({ name: 'admin', role: 'admin' });
    expect((await fetch(`${cp.url}/auth/link?token=${secret}`, { redirect: 'manual' })).headers.get('location')).toBe('/sign-in?error=link');

    const dataDir = cp.dataDir;
    await cp.stop({ keepData: true });
    const needle = Buffer.from(secret);
    expect((await filesUnder(dataDir)).some((bytes) => bytes.includes(needle))).toBe(false);

    cp = await startControlPlaneProcess({ dataDir, env: { TRELLIS_BOOTSTRAP_TOKEN: '' } });
    expect(cp.output()).not.toContain('first run');
    expect(cp.output()).not.toContain('/auth/link');
  });
});

describe('trellis login, whoami, token and logout', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  const server = () => ['--server', cp.url];
  beforeAll(async () => {
    cp = await startControlPlaneProcess({ env: { TRELLIS_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it('refuses commands before signing in, and says how to sign in', async () => {
    const r = await trellis(['get', 'retrypolicies', ...server()], { env: asPerson });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not signed in');
    expect(r.stderr).toContain(`run \`trellis login --server ${cp.url}\``);
  });

  it('signs in with --password-stdin, keeps the token 0600 in the config directory, and sends it', async () => {
    const wrong = await trellis(['login', '--username', 'admin', '--password-stdin', ...server()], { stdin: 'not the password\n', env: asPerson });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('wrong username or password');
    const r = await trellis(['login', '--username', 'admin', '--password-stdin', ...server()], { stdin: `${ADMIN_PASSWORD}\n`, env: asPerson });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`signed in to ${cp.url} as admin (admin)`);
    const file = path.join(testConfigHome, 'trellis', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ servers: { [cp.url]: { user: 'admin', token: expect.stringMatching(/^trt_/) } } });
    const who = await trellis(['whoami', ...server()], { env: asPerson });
    expect(who.stdout).toBe(`admin (admin) at ${cp.url}\nmay: mesh:read, policy:write, join-tokens:manage, ca:manage, users:manage\n`);
    const apply = await trellis(['apply', '-f', '-', ...server()], { stdin: RETRY('by-admin', 'default'), env: asPerson });
    expect(apply.code, apply.stderr).toBe(0);
    const history = await trellis(['history', 'RetryPolicy', 'by-admin', ...server()], { env: asPerson });
    expect(history.stdout).toMatch(/1\s+CREATE\s+admin\s/);
  });

  it('creates an editor token for one namespace, printed once, that can change only that namespace until revoked', async () => {
    const created = await trellis(['token', 'create', '--role', 'editor', '--namespace', 'shop', '--ttl', '30d', '--name', 'shop ci', ...server()], { env: asPerson });
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^trt_[\w-]{43}$/);
    expect(created.stderr).toMatch(/created API token "shop ci" \(editor in shop; expires \d{4}-\d\d-\d\d \d\d:\d\d UTC; id [\w-]+\)\.\nIt is shown only this once/);
    const expires = /expires (\d{4}-\d\d-\d\d)/.exec(created.stderr)?.[1] ?? '';
    expect(Date.parse(expires) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const asToken = { TRELLIS_TOKEN: token };
    expect((await trellis(['whoami', ...server()], { env: asToken })).stdout).toContain('token:shop ci (editor in shop)');
    expect((await trellis(['apply', '-f', '-', ...server()], { stdin: RETRY('by-token', 'shop'), env: asToken })).code).toBe(0);
    const outside = await trellis(['apply', '-f', '-', ...server()], { stdin: RETRY('by-token', 'payments'), env: asToken });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('refused: policy:write refused: namespace "payments" is outside your scope (shop)');
    const listed = await trellis(['token', 'list', ...server()], { env: asPerson });
    expect(listed.stdout).toMatch(/^API TOKENS \(people and scripts\)\nID\s+NAME\s+ROLE\s+NAMESPACES\s+EXPIRES\s+LAST USED\s+CREATED BY/);
    expect(listed.stdout).toContain('JOIN TOKENS (proxies)');
    const row = listed.stdout.split('\n').find((l) => l.includes('shop ci')) ?? '';
    expect(row).toMatch(/shop ci\s+editor\s+shop\s+\d{4}-/);
    const id = row.split(/\s+/)[0] ?? '';
    const revoked = await trellis(['token', 'revoke', id, ...server()], { env: asPerson });
    expect(revoked.stdout).toContain('revoked API token "shop ci"');
    const after = await trellis(['get', 'retrypolicies', ...server()], { env: asToken });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('this API token is unknown, revoked or expired');
    expect(after.stderr).toContain('TRELLIS_TOKEN was refused');
  });

  it('invites a person with a one-time link (trellis users)', async () => {
    const r = await trellis(['users', 'create', 'Dana', '--role', 'viewer', ...server()], { env: asPerson });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/created dana \(viewer\)\. Send them this one-time sign-in link .*\nhttp:\/\/127\.0\.0\.1:7401\/auth\/link\?token=trl_/);
    const list = await trellis(['users', 'list', ...server()], { env: asPerson });
    expect(list.stdout).toMatch(/dana\s+viewer\s+-\s+link only\s+0\s+-/);
  });

  it('taps a service over the WebSocket with the stored token, and refuses to without one', async () => {
    const refused = await trellis(['tap', 'catalog', ...server()], { env: { TRELLIS_TOKEN: 'trt_not-a-token' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('tap failed: this API token is unknown, revoked or expired');
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'tap', 'catalog', ...server()], {
      cwd: repoRoot,
      env: { ...process.env, XDG_CONFIG_HOME: testConfigHome, TRELLIS_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const proxy = new StreamClient({
      controlPlane: cp.url,
      identity: { service: 'catalog', instance: 'catalog-tap', proxyVersion: 'test' },
      apply: () => undefined,
      credentials: tokenCredentials(await joinToken(cp.url, 'catalog')),
    });
    try {
      await proxy.start();
      while (!out.includes('tapping catalog.default')) await new Promise((r) => setTimeout(r, 50));
      // The line is printed before the subscription is in place: send until one arrives.
      for (let i = 0; i < 60 && !out.includes('/products/1'); i++) {
        proxy.send({ type: 'spans', spans: [serverSpan('catalog', '/products/1')] });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toMatch(/frontend\.default\s+GET\s+\/products\/1\s+200\s+12\.5 ms/);
    } finally {
      await proxy.close();
      child.kill('SIGINT');
    }
  });

  it('logs out: the stored token is revoked and forgotten', async () => {
    const file = path.join(testConfigHome, 'trellis', 'credentials.json');
    const { token } = (JSON.parse(await readFile(file, 'utf8')) as { servers: Record<string, { token: string }> }).servers[cp.url] ?? { token: '' };
    const out = await trellis(['logout', ...server()], { env: asPerson });
    expect(out.stderr).toContain(`signed out of ${cp.url} (token revoked)`);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ servers: {} });
    expect((await fetch(`${cp.url}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await trellis(['whoami', ...server()], { env: asPerson })).stderr).toContain('not signed in');
  });
});

describe('trellis login --sso', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  let issuer: Awaited<ReturnType<typeof import('../../control-plane/test/support/oidc-issuer.ts').startOidcIssuer>>;
  const DASHBOARD = 'http://dashboard.test';
  beforeAll(async () => {
    const { startOidcIssuer, ISSUER_CLIENT } = await import('../../control-plane/test/support/oidc-issuer.ts');
    issuer = await startOidcIssuer({ redirectUris: [`${DASHBOARD}/auth/oidc/callback`], people: { sam: { groups: ['shop-devs'] } } });
    cp = await startControlPlaneProcess({
      args: ['--dashboard-url', DASHBOARD, '--oidc-issuer', issuer.issuer, '--oidc-client-id', ISSUER_CLIENT.id, '--oidc-role', 'shop-devs=editor:shop'],
      env: { TRELLIS_OIDC_CLIENT_SECRET: ISSUER_CLIENT.secret },
    });
  });
  afterAll(async () => {
    await cp?.stop();
    await issuer?.close();
  });

  it('signs in through the browser and the loopback redirect, and stores a token acting as that person', async () => {
    const { TestBrowser } = await import('../../control-plane/test/support/browser.ts');
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'login', '--sso', '--no-browser', '--server', cp.url], {
      cwd: repoRoot,
      env: { ...process.env, XDG_CONFIG_HOME: testConfigHome, TRELLIS_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    for (let i = 0; i < 200 && !/\n {2}(http\S+)\n/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /\n {2}(http\S+)\n/.exec(stderr)?.[1] ?? '';
    expect(url.startsWith(`${issuer.issuer}/`), stderr).toBe(true);
    // The person's browser: the issuer's sign-in and consent pages; it ends at the CLI's loopback page.
    const browser = new TestBrowser({ [DASHBOARD]: cp.url });
    const page = await browser.visit(url);
    const consent = await browser.submit(page, { login: 'sam', password: 'x' });
    const back = consent.body.includes('value="consent"') ? await browser.submit(consent) : consent;
    expect(back.body).toContain('Signed in to Trellis');
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain(`signed in to ${cp.url} as sam (editor in shop)`);
    const who = await trellis(['whoami', '--server', cp.url], { env: asPerson });
    expect(who.stdout).toContain(`sam (editor in shop) at ${cp.url}`);
  });
});
