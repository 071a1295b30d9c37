import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { StreamClient, tokenCredentials, type StreamCredentials } from '@trellis/stream-client';
import type { IssuedCertificate } from '@trellis/shared';
import { generateKeyPair, privateKeyPem, x509, EC_P256 } from '../src/identity/x509.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { joinToken, sleep } from './support/stream.ts';

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

/** Credentials that send a CSR with the hello and record what comes back. */
async function requesting(token: string | undefined) {
  const keys = await generateKeyPair();
  const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=test', keys, signingAlgorithm: EC_P256 })).toString('pem');
  const got: IssuedCertificate[] = [];
  const base = token ? tokenCredentials(token) : tokenCredentials('0123456789ab.' + 'x'.repeat(43) + '.sha256-' + 'y'.repeat(43));
  let roots: readonly string[] | undefined;
  const credentials: StreamCredentials = {
    ...base,
    trustedRoots: () => roots ?? base.trustedRoots(),
    credential: () => (token ? { kind: 'join-token', token } : undefined),
    certificateRequest: () => Promise.resolve(csr),
    installCertificate: (c, b) => {
      got.push(c);
      roots = b.roots;
    },
  };
  return { credentials, got, keyPem: await privateKeyPem(keys.privateKey) };
}

describe('who may join the mesh', () => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const clients: StreamClient[] = [];
  const refusals: { reason: string; service: string }[] = [];

  beforeAll(async () => {
    db = await createDatabase();
    env = await startTestControlPlane(db.options);
    env.cp.services.stream.on('refused', (r: { reason: string; service: string }) => refusals.push(r));
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await env?.cp.close();
    await db?.cleanup();
  });

  /** A proxy of `service` joining with `credentials`; resolves once it was let in or turned away, with what it got. */
  async function attempt(service: string, credentials: StreamCredentials, instance = `${service}-${clients.length}`, waitMs = 5000) {
    const logs: string[] = [];
    const applied: number[] = [];
    const client = new StreamClient({
      controlPlane: env.cp.url,
      identity: { service, instance, endpoint: { address: '10.9.9.9', port: 9000 + clients.length }, proxyVersion: 'test' },
      apply: (s) => void applied.push(s.version),
      credentials,
      log: (l) => logs.push(l),
    });
    clients.push(client);
    await client.start();
    const decided = () => applied.length > 0 || logs.some((l) => /refused this proxy|cannot connect|unreachable/.test(l));
    for (let waited = 0; waited < waitMs && !decided(); waited += 25) await sleep(25);
    // Anything that would follow a refusal (a certificate, a registration) has had time to show.
    await sleep(100);
    const registered = env.cp.services.registry.endpoints(`${service}.default`).some((e) => e.instance === instance);
    const listed = env.cp.services.stream.list().some((p) => p.instance === instance);
    return { client, instance, logs, applied, registered, listed };
  }

  it('lets a proxy with a token for its own service in: a certificate for exactly that identity, a snapshot, its endpoint', async () => {
    const { credentials, got } = await requesting(await joinToken(env.cp.url, 'payments'));
    const r = await attempt('payments', credentials);
    expect(got.map((c) => c.identity)).toEqual(['spiffe://trellis.local/ns/default/sa/payments']);
    expect(r.applied.length).toBeGreaterThan(0);
    expect(r.registered).toBe(true);
    const endpoint = env.cp.services.registry.endpoints('payments.default').find((e) => e.instance === r.instance);
    expect(endpoint?.identity).toBe('spiffe://trellis.local/ns/default/sa/payments');
  });

  it.each([
    ['no token', undefined, /no valid client certificate and no join token/],
    ['a malformed token', 'not-a-token', /malformed/],
    ['an unknown token', `0123456789ab.${'a'.repeat(43)}.`, /not known to this control plane/],
  ])('turns away a proxy with %s: no certificate, no snapshot, no endpoint', async (_what, token, reason) => {
    const { credentials, got } = await requesting(undefined);
    // Trust the control plane (as a proxy that joined once would), so only the credential is missing.
    const roots = env.cp.services.identity.ca.bundle().roots;
    const cred: StreamCredentials = {
      ...credentials,
      trustedRoots: () => roots,
      credential: () => (token === undefined ? undefined : { kind: 'join-token', token: token.endsWith('.') ? `${token}${(env.cp.services.identity.ca.issuing.pin)}` : token }),
    };
    const r = await attempt('payments', cred);
    expect(got).toEqual([]);
    expect(r.applied).toEqual([]);
    expect(r.registered).toBe(false);
    expect(r.listed).toBe(false);
    expect(r.logs.join('\n')).toMatch(reason);
  });

  it('turns away a token for another service (forbidden), and a revoked one; revoking cuts off proxies that joined with it', async () => {
    const cartToken = await joinToken(env.cp.url, 'cart');
    const asReviews = await attempt('reviews', (await requesting(cartToken)).credentials);
    expect(asReviews.registered).toBe(false);
    expect(asReviews.applied).toEqual([]);
    expect(asReviews.logs.join('\n')).toContain('may not join as reviews.default');

    const cart = await requesting(cartToken);
    const joined = await attempt('cart', cart.credentials, 'cart-a');
    expect(joined.registered).toBe(true);
    const id = cartToken.split('.')[0] ?? '';
    const revoked = await env.client.identity.joinTokens.revoke.mutate({ id });
    expect(revoked).toMatchObject({ state: 'revoked', disconnected: 1 });
    await sleep(300);
    expect(env.cp.services.stream.connected().some((s) => s.identity.instance === 'cart-a')).toBe(false);
    // Its certificate descends from the revoked token: reconnecting with it gets nothing either.
    const again = await attempt('cart', { ...cart.credentials, clientCertificate: () => ({ cert: cart.got[0]?.chain ?? '', key: cart.keyPem }) }, 'cart-a');
    expect(again.registered || again.listed).toBe(false);
    const fresh = await attempt('cart', (await requesting(cartToken)).credentials, 'cart-b');
    expect(fresh.registered).toBe(false);
    expect(fresh.logs.join('\n')).toMatch(/revoked/);
    expect(refusals.map((x) => x.reason)).toEqual(expect.arrayContaining(['wrong-service', 'token-revoked']));
  });

  it('lets a proxy back in with its certificate alone, and never lets one take over another service\'s instance name', async () => {
    const first = await requesting(await joinToken(env.cp.url, 'catalog'));
    await attempt('catalog', first.credentials, 'catalog-1');
    const certOnly: StreamCredentials = { ...first.credentials, credential: () => undefined, certificateRequest: () => Promise.resolve(undefined), clientCertificate: () => ({ cert: first.got[0]?.chain ?? '', key: first.keyPem }) };
    const back = await attempt('catalog', certOnly, 'catalog-2');
    expect(back.registered).toBe(true);
    // An authenticated frontend proxy claiming catalog-1's instance name is refused; catalog-1 stays.
    const frontend = await attempt('frontend', (await requesting(await joinToken(env.cp.url, 'frontend'))).credentials, 'catalog-1');
    expect(frontend.logs.join('\n')).toContain('instance "catalog-1" is connected as catalog.default');
    expect(env.cp.services.stream.connected().find((s) => s.identity.instance === 'catalog-1')?.who.service).toBe('catalog');
  });

  it('refuses the stream over plain HTTP (426), and serves the trust bundle on both', async () => {
    const plain = new WebSocket(`${env.cp.url.replace('http', 'ws')}/v1/stream`);
    const status = await new Promise<number>((resolve) => {
      plain.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      plain.on('open', () => resolve(101));
      plain.on('error', () => undefined);
    });
    plain.terminate();
    expect(status).toBe(426);
    const bundle = (await (await fetch(`${env.cp.url}/v1/trust-bundle`)).json()) as { version: number; roots: string[] };
    expect(bundle.roots).toEqual(env.cp.services.identity.ca.bundle().roots);
  });

  it('sums up security for the dashboard: modes, identities, certificates, and who may call each service', async () => {
    const apply = (kind: string, name: string, spec: unknown) =>
      env.client.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind, metadata: { name }, spec } });
    await apply('AuthorizationPolicy', 'payments-callers', { targetRef: { kind: 'Service', name: 'payments' }, action: 'Allow', rules: [{ from: ['checkout', 'external'], methods: ['POST'] }] });
    await apply('MutualTLSPolicy', 'payments-permissive', { targetRef: { kind: 'Service', name: 'payments' }, mode: 'PERMISSIVE' });
    await env.cp.services.distributor.settled();
    const o = await env.client.identity.overview.query();
    expect(o.trustDomain).toBe('trellis.local');
    expect(o.bundle.roots).toHaveLength(1);
    const payments = o.services.find((s) => s.name === 'payments');
    expect(payments).toMatchObject({ mtlsMode: 'PERMISSIVE', identity: 'spiffe://trellis.local/ns/default/sa/payments', authorization: { default: 'deny' } });
    expect(payments?.authorization.policies[0]?.rules[0]).toMatchObject({
      from: ['checkout', 'external'],
      identities: ['spiffe://trellis.local/ns/default/sa/checkout', 'external'],
      methods: ['POST'],
    });
    expect(payments?.proxies.some((p) => p.certificate !== null && p.identity === 'spiffe://trellis.local/ns/default/sa/payments')).toBe(true);
    expect(o.services.find((s) => s.name === 'catalog')).toMatchObject({ mtlsMode: 'STRICT', authorization: { default: 'allow', policies: [] } });
  });
});
