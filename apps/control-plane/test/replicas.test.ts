import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Snapshot } from '@trellis/shared';
import { StreamClient, tokenCredentials, type StreamCredentials } from '@trellis/stream-client';
import { apiClient, startTestControlPlane } from './support/control-plane.ts';
import { freshPostgresDatabase } from './support/fresh-postgres.ts';
import { connectTestProxy, joinToken, retryOf, sleep, type TestProxy } from './support/stream.ts';
import { generateKeyPair, x509, EC_P256 } from '../src/identity/x509.ts';

/** A join token's credentials that send a CSR with the hello, as a proxy joining for the first time does. */
async function withCsr(token: string): Promise<StreamCredentials> {
  const keys = await generateKeyPair();
  const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=test', keys, signingAlgorithm: EC_P256 })).toString('pem');
  return { ...tokenCredentials(token), certificateRequest: () => Promise.resolve(csr) };
}

const CA_SECRET = 'test-ca-secret-0123456789-abcdefghijklmnop';

/** Polls `read` until `ok` holds of its value, or fails after `ms`. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/** The proxy's snapshot in force once it satisfies `ok` (it may already). */
async function holds(p: TestProxy, ok: (s: Snapshot) => boolean, ms = 10_000): Promise<void> {
  const last = p.applied.at(-1)?.snapshot;
  if (last && ok(last)) return;
  await p.next(ok, ms);
}

const endpointsOf = (s: Snapshot | undefined, service: string) => s?.outbound.services.find((o) => o.name === service)?.endpoints.map((e) => `${e.address}:${e.port}`) ?? [];

// Three control planes on one Postgres, as a Deployment with three replicas would run them.
describe('control-plane replicas on one Postgres', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  const dirs: string[] = [];
  type Replica = Awaited<ReturnType<typeof startTestControlPlane>>;
  let replicas: Replica[] = [];
  /** Replica i (they are started in beforeAll). */
  const replica = (i: number): Replica => {
    const r = replicas[i];
    if (!r) throw new Error(`no replica ${i}`);
    return r;
  };
  const proxies: TestProxy[] = [];

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    // Started together on an empty database: they must agree on one CA and one first admin.
    replicas = await Promise.all(
      [0, 1, 2].map(async () => {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-replica-'));
        dirs.push(dataDir);
        return startTestControlPlane({ databaseUrl: database.url, dataDir, caSecret: CA_SECRET, endpointGraceMs: 2000 });
      }),
    );
  }, 180_000);

  afterAll(async () => {
    for (const p of proxies) await p.client.close();
    await Promise.all(replicas.map((r) => r.cp.close()));
    await database.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }, 60_000);

  it('share one mesh CA, kept sealed in the database', async () => {
    const pins = replicas.map((r) => r.cp.services.identity.ca.issuing.pin);
    expect(new Set(pins).size).toBe(1);
    const rows = await replica(0).cp.services.prisma.caObject.findMany();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.some((r) => r.body.includes('PRIVATE KEY') || r.body.includes('BEGIN'))).toBe(false);
  });

  it('a change applied through one replica reaches proxies on every replica within 1 s, with endpoints from all of them', async () => {
    const [a, b, c] = [replica(0), replica(1), replica(2)];
    await a.client.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name: 'web' }, spec: { egress: ['api'] } } });
    // Join tokens made through A work on B and C (they are rows, pinned to the shared root).
    const api = await connectTestProxy(c.cp.url, { service: 'api', instance: 'api-1', endpoint: { address: '127.0.0.1', port: 26901 } });
    const webOnB = await connectTestProxy(b.cp.url, { service: 'web', instance: 'web-b', endpoint: { address: '127.0.0.1', port: 26902 } });
    const webOnC = await connectTestProxy(c.cp.url, { service: 'web', instance: 'web-c', endpoint: { address: '127.0.0.1', port: 26903 } });
    const webOnA = await connectTestProxy(a.cp.url, { service: 'web', instance: 'web-a', endpoint: { address: '127.0.0.1', port: 26904 } });
    proxies.push(api, webOnA, webOnB, webOnC);
    // api's proxy is connected to C only; the web proxies on A and B get its endpoint all the same.
    for (const web of [webOnA, webOnB, webOnC]) await holds(web, (s) => endpointsOf(s, 'api').includes('127.0.0.1:26901'));

    const started = performance.now();
    const waits = [webOnA, webOnB, webOnC].map((w) => w.next((s) => retryOf(s, 'api')?.attempts === 4, 10_000));
    await a.client.resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'RetryPolicy', metadata: { name: 'api-retry' }, spec: { targetRef: { kind: 'Service', name: 'api' }, attempts: 4 } },
    });
    const times = (await Promise.all(waits)).map((w) => w.at - started);
    // The goal is 1 s; the test allows for a machine busy with other work.
    expect(Math.max(...times)).toBeLessThan(3000);
  }, 30_000);

  it('an API token made through one replica works on the others, and its revocation too', async () => {
    const [a, b, c] = [replica(0), replica(1), replica(2)];
    const made = await a.client.tokens.create.mutate({ name: 'ci', role: 'viewer' });
    expect((await apiClient(c.cp.url, made.token).resources.list.query({})).length).toBeGreaterThan(0);
    await b.client.tokens.revoke.mutate({ id: made.id });
    await expect(apiClient(c.cp.url, made.token).resources.list.query({})).rejects.toThrow();
  });

  it('a join token revoked through one replica is refused by the others at once, and their proxies that joined with it are cut off', async () => {
    const [a, b, c] = [replica(0), replica(1), replica(2)];
    const orders = await connectTestProxy(c.cp.url, { service: 'orders', instance: 'orders-c' });
    proxies.push(orders);
    const joinedWith = (await a.client.identity.joinTokens.list.query()).find((t) => t.service === 'orders');
    if (!joinedWith) throw new Error('no join token for orders');
    const token = await joinToken(b.cp.url, 'orders');
    const id = token.split('.')[0] ?? '';
    // B reads the token's row (a hello would) and would answer from that copy for the next second.
    const readAt = performance.now();
    expect(await b.cp.services.identity.tokens.check(token)).toMatchObject({ ok: true, tokenId: id });

    await a.client.identity.joinTokens.revoke.mutate({ id });
    await a.client.identity.joinTokens.revoke.mutate({ id: joinedWith.id });
    // Refused on B before its copy would have run out: A told it.
    const onB = await eventually(
      () => b.cp.services.identity.tokens.check(token),
      (r) => !r.ok || performance.now() - readAt > 900,
      900,
    );
    expect(onB).toMatchObject({ ok: false, reason: 'revoked' });
    const stillOnC = await eventually(
      () => Promise.resolve(c.cp.services.stream.connected().some((s) => s.identity.instance === 'orders-c')),
      (connected) => !connected,
      3000,
    );
    expect(stillOnC).toBe(false);
  }, 30_000);

  it('a join token revoked while a proxy is joining with it keeps that proxy out, here and on another replica', async () => {
    const [a, b] = [replica(0), replica(1)];
    // Another session holds the certificates table: each hello below has passed its token check and waits to
    // record the certificate it is signing, when the token is revoked (through the same replica, and another).
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    const joining: StreamClient[] = [];
    try {
      const tokens = { here: await joinToken(a.cp.url, 'ledger'), there: await joinToken(a.cp.url, 'ledger') };
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE "issued_certificates" IN ACCESS EXCLUSIVE MODE');
      const logs: string[] = [];
      for (const [name, token] of Object.entries(tokens)) {
        const client = new StreamClient({
          controlPlane: a.cp.url,
          identity: { service: 'ledger', instance: `ledger-${name}`, endpoint: { address: '127.0.0.1', port: name === 'here' ? 26911 : 26912 }, proxyVersion: 'test' },
          apply: () => undefined,
          credentials: await withCsr(token),
          log: (line) => logs.push(`ledger-${name}: ${line}`),
        });
        joining.push(client);
        await client.start();
      }
      await eventually(
        async () => (await blocker.query("SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'issued_certificates'::regclass")).rows[0]?.n as number,
        (waiting) => waiting === 2,
      );
      const id = (token: string) => token.split('.')[0] ?? '';
      expect(await a.client.identity.joinTokens.revoke.mutate({ id: id(tokens.here) })).toMatchObject({ state: 'revoked', disconnected: 0 });
      await b.client.identity.joinTokens.revoke.mutate({ id: id(tokens.there) });
      // A hears of B's revocation over the bus.
      await eventually(
        () => Promise.resolve(a.cp.services.identity.tokens.revokedSince(id(tokens.there), 0)),
        (heard) => heard,
        3000,
      );
      await blocker.query('COMMIT');
      await eventually(
        () => Promise.resolve(logs.filter((l) => l.includes('was revoked while this proxy was joining')).length),
        (n) => n >= 2,
        5000,
      );
      expect(a.cp.services.stream.connected().filter((s) => s.identity.service === 'ledger')).toEqual([]);
      expect(a.cp.services.registry.endpoints('ledger.default')).toEqual([]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      for (const c of joining) await c.close();
    }
  }, 30_000);

  it('the graph and traces are the whole mesh\'s on every replica', async () => {
    const web = proxies.find((p) => p.client.controlPlane === replica(1).cp.url);
    if (!web) throw new Error('no proxy on replica 1');
    const edge = { source: 'web.default', destination: 'api.default', route: 'default', side: 'outbound' as const, codes: { '2xx': 9, '3xx': 0, '4xx': 0, '5xx': 1 }, latency: {}, retries: 0, rateLimited: 0, ejections: 0 };
    web.client.send({ type: 'metrics', report: { at: Date.now(), intervalMs: 1000, edges: [edge] } });
    const traceId = 'a'.repeat(32);
    web.client.send({
      type: 'spans',
      spans: [{ traceId, spanId: 'b'.repeat(16), kind: 'client', service: 'web', name: 'GET /x', startMs: Date.now(), durationMs: 3, status: 200, error: false, attributes: { route: 'default' } }],
    });
    for (const r of [replica(0), replica(2)]) {
      const graph = await eventually(
        () => r.client.graph.get.query({ windowSeconds: 60 }),
        (g) => g.edges.some((e) => e.id === 'web.default->api.default'),
      );
      expect(graph.edges.map((e) => e.id)).toContain('web.default->api.default');
      const traces = await eventually(() => r.client.traces.search.query({ service: 'web.default' }), (t) => t.length > 0);
      expect(traces.map((t) => t.traceId)).toContain(traceId);
    }
  }, 30_000);
});
