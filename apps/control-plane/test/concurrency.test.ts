import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { apiClient, retryPolicy, startTestControlPlane } from './support/control-plane.ts';

describe.each(DATABASES)('optimistic concurrency on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  beforeAll(async () => {
    db = await create();
    env = await startTestControlPlane(db.options);
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('lets one of two writers naming the same resourceVersion win; the other gets a conflict', async () => {
    await env.client.resources.upsert.mutate({ resource: retryPolicy('payments', 2) });
    const current = await env.client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' });
    const rv = current.metadata.resourceVersion;
    const alice = apiClient(env.cp.url);
    const bob = apiClient(env.cp.url);
    const edit = (attempts: number) => ({ ...retryPolicy('payments', attempts), metadata: { name: 'payments-retry', namespace: 'default', resourceVersion: rv } });
    const results = await Promise.allSettled([
      alice.resources.upsert.mutate({ resource: edit(4) }),
      bob.resources.upsert.mutate({ resource: edit(6) }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toMatchObject({ data: { code: 'CONFLICT' } });
    expect(String((lost[0]?.reason as Error).message)).toMatch(/changed by someone else|concurrently/);

    const final = await env.client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' });
    const winner = (won[0] as PromiseFulfilledResult<{ resource: { spec: unknown } }>).value.resource.spec;
    expect(final.spec).toEqual(winner);
    expect(final.metadata.resourceVersion).toBe(String(Number(rv) + 1));
    // No lost update: exactly one new revision, by the winner.
    const history = await env.client.resources.history.query({ kind: 'RetryPolicy', name: 'payments-retry' });
    expect(history).toHaveLength(2);
  });

  it('refuses a write that names a stale resourceVersion', async () => {
    await env.client.resources.upsert.mutate({ resource: retryPolicy('cart', 2) });
    await env.client.resources.upsert.mutate({ resource: retryPolicy('cart', 3) });
    const stale = { ...retryPolicy('cart', 9), metadata: { name: 'cart-retry', namespace: 'default', resourceVersion: '1' } };
    await expect(env.client.resources.upsert.mutate({ resource: stale })).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    expect((await env.client.resources.get.query({ kind: 'RetryPolicy', name: 'cart-retry' })).spec).toMatchObject({ attempts: 3 });
  });
});
