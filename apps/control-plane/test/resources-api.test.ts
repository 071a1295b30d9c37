import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, retryPolicy, startTestControlPlane } from './support/control-plane.ts';

describe.each(DATABASES)('resources API on %s', (_name, create) => {
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

  it('creates, updates, lists, gets, diffs, rolls back and deletes, keeping every revision', async () => {
    const { client } = env;
    const created = await client.resources.upsert.mutate({ resource: retryPolicy('payments', 3), note: 'first try' });
    expect(created.outcome).toBe('created');
    expect(created.resource.metadata.resourceVersion).toBe('1');
    // Defaults are filled in and kept.
    expect(created.resource.spec).toMatchObject({ attempts: 3, retryOn: ['5xx', 'connect-failure', 'reset'], budget: { ratio: 0.2 } });

    const again = await client.resources.upsert.mutate({ resource: retryPolicy('payments', 3) });
    expect(again.outcome).toBe('unchanged');

    const updated = await client.resources.upsert.mutate({ resource: retryPolicy('payments', 5), note: 'more attempts' });
    expect(updated.outcome).toBe('updated');
    expect(updated.resource.metadata.resourceVersion).toBe('2');

    const list = await client.resources.list.query({ kind: 'retrypolicies' });
    expect(list.map((r) => r.metadata.name)).toEqual(['payments-retry']);
    // By namespace: another namespace's resources are not listed.
    const elsewhere = retryPolicy('payments', 2);
    elsewhere.metadata = { ...elsewhere.metadata, namespace: 'staging' };
    await client.resources.upsert.mutate({ resource: elsewhere });
    const inDefault = await client.resources.list.query({ kind: 'RetryPolicy', namespace: 'default' });
    expect(inDefault.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['default/payments-retry']);
    const inStaging = await client.resources.list.query({ namespace: 'staging' });
    expect(inStaging.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['staging/payments-retry']);
    await client.resources.delete.mutate({ kind: 'RetryPolicy', name: 'payments-retry', namespace: 'staging' });
    const got = await client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' });
    expect(got.spec).toMatchObject({ attempts: 5 });

    const diff = await client.resources.diff.query({ kind: 'RetryPolicy', name: 'payments-retry', from: 1, to: 2 });
    expect(diff.changes).toEqual([{ path: 'spec.attempts', before: 3, after: 5 }]);

    const rolled = await client.resources.rollback.mutate({ kind: 'RetryPolicy', name: 'payments-retry', to: 1 });
    expect(rolled.resource.metadata.resourceVersion).toBe('3');
    expect(rolled.resource.spec).toMatchObject({ attempts: 3 });

    await client.resources.delete.mutate({ kind: 'RetryPolicy', name: 'payments-retry' });
    await expect(client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const history = await client.resources.history.query({ kind: 'RetryPolicy', name: 'payments-retry' });
    expect(history.map((h) => [h.revision, h.action, h.author])).toEqual([
      [4, 'DELETE', 'token:bootstrap'],
      [3, 'ROLLBACK', 'token:bootstrap'],
      [2, 'UPDATE', 'token:bootstrap'],
      [1, 'CREATE', 'token:bootstrap'],
    ]);
    expect(history[3]?.note).toBe('first try');
    expect(history[2]?.before).toMatchObject({ spec: { attempts: 3 } });
    expect(history[2]?.after).toMatchObject({ spec: { attempts: 5 } });
  });

  it('refuses an invalid resource with the field named, and changes nothing', async () => {
    const { client } = env;
    await client.resources.upsert.mutate({ resource: retryPolicy('cart', 2) });
    const before = await client.resources.history.query({ kind: 'RetryPolicy', name: 'cart-retry' });
    const bad = retryPolicy('cart', 50);
    const error = await client.resources.upsert.mutate({ resource: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    const e = error as TRPCClientError<never>;
    expect(e.data).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: [{ path: 'spec.attempts', message: 'must be at most 10' }] });
    expect(e.message).toContain('spec.attempts');
    const split = {
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'reviews' },
      spec: {
        targetRef: { kind: 'Service', name: 'reviews' },
        backends: [
          { name: 'v1', selector: { version: 'v1' }, weight: 90 },
          { name: 'v2', selector: { version: 'v2' }, weight: 20 },
        ],
      },
    };
    await expect(client.resources.upsert.mutate({ resource: split })).rejects.toMatchObject({
      data: { fieldErrors: [{ path: 'spec.backends', message: 'weights must add up to 100 (they add up to 110)' }] },
    });
    expect(await client.resources.history.query({ kind: 'RetryPolicy', name: 'cart-retry' })).toEqual(before);
    expect((await client.resources.get.query({ kind: 'RetryPolicy', name: 'cart-retry' })).spec).toMatchObject({ attempts: 2 });
    await expect(client.resources.get.query({ kind: 'TrafficSplit', name: 'reviews' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    // Refused writes are audited.
    const audit = await env.cp.services.prisma.auditEntry.findMany({ where: { outcome: 'invalid' } });
    expect(audit.map((a) => a.name).sort()).toEqual(['cart-retry', 'reviews']);
  });

  it('dry run validates and shows the change without writing', async () => {
    const { client } = env;
    await client.resources.upsert.mutate({ resource: retryPolicy('ratings', 2) });
    const dry = await client.resources.upsert.mutate({ resource: retryPolicy('ratings', 4), dryRun: true });
    expect(dry.changes).toEqual([{ path: 'spec.attempts', before: 2, after: 4 }]);
    expect((await client.resources.get.query({ kind: 'RetryPolicy', name: 'ratings-retry' })).spec).toMatchObject({ attempts: 2 });
  });

  it('serves health and readiness to anyone, and Prometheus metrics to a caller with credentials', async () => {
    const base = env.cp.url;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` } })).text();
    expect(metrics).toContain('trellis_cp_connected_proxies');
  });
});
