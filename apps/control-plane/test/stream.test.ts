import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { connectTestProxy, retryOf, sleep, type TestProxy } from './support/stream.ts';

// The first database is enough here: the stream does not depend on which one stores the resources.
const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

describe('the proxy stream', () => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const proxies: TestProxy[] = [];
  const connect = async (...args: Parameters<typeof connectTestProxy>) => {
    const p = await connectTestProxy(...args);
    proxies.push(p);
    return p;
  };
  beforeAll(async () => {
    db = await createDatabase();
    env = await startTestControlPlane(db.options);
  });
  afterAll(async () => {
    for (const p of proxies) await p.client.close();
    await env?.cp.close();
    await db?.cleanup();
  });

  it('delivers a resource applied through tRPC to a connected proxy within 1 s', async () => {
    const frontend = await connect(env.cp.url, { service: 'frontend', instance: 'frontend-1' });
    await frontend.next();
    const arrived = frontend.next((s) => retryOf(s, 'payments')?.attempts === 4);
    const sent = performance.now();
    await env.client.resources.upsert.mutate({ resource: retryPolicy('payments', 4) });
    const { at, snapshot } = await arrived;
    expect(at - sent).toBeLessThan(1000);
    expect(retryOf(snapshot, 'payments')).toMatchObject({ attempts: 4, perTryTimeoutMs: 500 });
  });

  it('registers proxies as endpoints of their service, and removes them after they leave', async () => {
    const watcher = await connect(env.cp.url, { service: 'watcher', instance: 'watcher-1' });
    await watcher.next();
    const reviews = await connect(env.cp.url, {
      service: 'reviews',
      instance: 'reviews-v2-1',
      labels: { version: 'v2' },
      endpoint: { address: '127.0.0.1', port: 18081 },
    });
    const joined = await watcher.next((s) => (s.outbound.services.find((o) => o.name === 'reviews')?.endpoints.length ?? 0) === 1);
    expect(joined.snapshot.outbound.services.find((o) => o.name === 'reviews')?.endpoints[0]).toMatchObject({
      address: '127.0.0.1',
      port: 18081,
      labels: { version: 'v2' },
      instance: 'reviews-v2-1',
    });
    const services = await env.client.services.list.query();
    expect(services.find((s) => s.name === 'reviews')).toMatchObject({ versions: ['v2'], endpoints: [{ port: 18081 }] });

    await reviews.client.close();
    // Gone after the grace period (300 ms in tests).
    const left = await watcher.next((s) => !s.outbound.services.some((o) => o.name === 'reviews'), 3000);
    expect(left.snapshot.version).toBeGreaterThan(joined.snapshot.version);
  });

  it('sends nothing to proxies whose snapshot a change does not alter', async () => {
    const isolated = await connect(env.cp.url, { service: 'isolated', instance: 'isolated-1' });
    await isolated.next();
    // Limit what `isolated` may call, so policies for other services are none of its business.
    await env.client.resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name: 'isolated' }, spec: { egress: ['ratings'] } },
    });
    await isolated.next((s) => s.outbound.services.every((o) => o.name === 'ratings'));
    const count = isolated.applied.length;
    const other = await connect(env.cp.url, { service: 'other', instance: 'other-1' });
    await other.next();
    const otherGot = other.next((s) => retryOf(s, 'cart')?.attempts === 2);
    await env.client.resources.upsert.mutate({ resource: retryPolicy('cart', 2) });
    await otherGot;
    await sleep(300);
    expect(isolated.applied.length).toBe(count);
  });

  it('shows a proxy that refuses a snapshot as out of sync, with its reason', async () => {
    const picky = await connect(env.cp.url, { service: 'picky', instance: 'picky-1' });
    await picky.next();
    const status = async () => (await env.client.proxies.list.query()).find((p) => p.instance === 'picky-1');
    expect(await status()).toMatchObject({ inSync: true, connected: true });
    picky.refuse = 'route table too large for this proxy';
    await env.client.resources.upsert.mutate({ resource: retryPolicy('search', 3) });
    let seen;
    for (let i = 0; i < 50; i++) {
      seen = await status();
      if (seen?.lastError) break;
      await sleep(50);
    }
    expect(seen).toMatchObject({ inSync: false, lastError: expect.stringContaining('route table too large for this proxy') });
    picky.refuse = undefined;
    expect(seen?.appliedVersion).toBeLessThan(seen?.desiredVersion ?? 0);
  });

  it('resends nothing to a proxy that reconnects with the version it already runs', async () => {
    const first = await connect(env.cp.url, { service: 'steady', instance: 'steady-1' });
    await first.next();
    await sleep(200);
    await first.client.close();
    const version = first.client.snapshot?.version;
    expect(version).toBeGreaterThan(0);
    // Same instance, same disk copy: starts from disk, says which version it has.
    const again = await connect(env.cp.url, { service: 'steady', instance: 'steady-1' }, first.cacheFile);
    await sleep(500);
    expect(again.applied.map((a) => a.snapshot.version)).toEqual([version]); // the disk copy only
    const status = (await env.client.proxies.list.query()).find((p) => p.instance === 'steady-1');
    expect(status).toMatchObject({ connected: true, inSync: true, appliedVersion: version });
    // Last seen: the latest message from the proxy (its hello, a moment ago).
    const seenAgo = Date.now() - Date.parse(status?.lastSeen ?? '');
    expect(seenAgo).toBeGreaterThanOrEqual(0);
    expect(seenAgo).toBeLessThan(2000);
  });

  it('accepts resources.apply over plain HTTP JSON with a bearer token, as scripts call it', async () => {
    const res = await fetch(`${env.cp.url}/trpc/resources.apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` },
      body: JSON.stringify({ resource: retryPolicy('curl', 2) }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { outcome: string } } };
    expect(body.result.data.outcome).toBe('created');
    const bad = await fetch(`${env.cp.url}/trpc/resources.apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` },
      body: JSON.stringify({ resource: retryPolicy('curl', 0) }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('spec.attempts');
  });
});
