import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { apiClient, retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { bearer, createUser, getProcedure, postProcedure, signInToken } from './support/auth.ts';

const inNamespace = (namespace: string, name: string, attempts = 2) => ({ ...retryPolicy(name, attempts), metadata: { name: `${name}-retry`, namespace } });

/** A tRPC client over WebSocket, as `trellis tap` and scripts connect (token in the connection params, or none). */
function wsClient(url: string, token?: string) {
  const client = createWSClient({ url: `${url.replace(/^http/, 'ws')}/trpc`, WebSocket: WebSocket as never, lazy: { enabled: false, closeMs: 0 }, ...(token ? { connectionParams: { token } } : {}) });
  return { api: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }), close: () => client.close() };
}

describe.each(DATABASES)('who may call the API, on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const url = () => env.cp.url;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    db = await create();
    env = await startTestControlPlane(db.options);
    await createUser(url(), 'vera', 'viewer');
    await createUser(url(), 'ed', 'editor', ['shop']);
    await createUser(url(), 'ada', 'admin');
    for (const name of ['vera', 'ed', 'ada']) tokens[name] = await signInToken(url(), name);
    await env.client.resources.upsert.mutate({ resource: inNamespace('payments', 'billing') });
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('answers anonymous apply and delete over HTTP with 401 and writes nothing', async () => {
    const apply = await postProcedure(url(), 'resources.apply', { resource: inNamespace('default', 'anon') });
    expect(apply.status).toBe(401);
    expect(await apply.text()).toContain('not signed in');
    const del = await postProcedure(url(), 'resources.delete', { kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments' });
    expect(del.status).toBe(401);
    expect((await getProcedure(url(), 'resources.list', {})).status).toBe(401);
    const names = (await env.client.resources.list.query({})).map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
    expect(names).toEqual(['payments/billing-retry']);
  });

  it('answers anonymous apply and delete over WebSocket with 401 and writes nothing', async () => {
    const { api, close } = wsClient(url());
    try {
      await expect(api.resources.upsert.mutate({ resource: inNamespace('default', 'anon-ws') })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED', httpStatus: 401 } });
      await expect(api.resources.delete.mutate({ kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments' })).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    } finally {
      await close();
    }
    expect((await env.client.resources.list.query({})).map((r) => r.metadata.name)).toEqual(['billing-retry']);
  });

  it('lets a token call over WebSocket with its role', async () => {
    const { api, close } = wsClient(url(), tokens.ed);
    try {
      expect((await api.resources.upsert.mutate({ resource: inNamespace('shop', 'ws-edit') })).outcome).toBe('created');
      await expect(api.resources.upsert.mutate({ resource: inNamespace('payments', 'ws-edit') })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    } finally {
      await close();
    }
  });

  it('refuses a viewer\'s save with 403 naming the missing permission, and lets the viewer read', async () => {
    const viewer = apiClient(url(), tokens.vera);
    expect((await viewer.resources.list.query({})).length).toBeGreaterThan(0);
    const refused = await viewer.resources.upsert.mutate({ resource: inNamespace('default', 'by-viewer') }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ data: { code: 'FORBIDDEN', httpStatus: 403 } });
    expect((refused as Error).message).toBe('your role (viewer) lacks the permission policy:write that resources.upsert needs; ask an admin for the editor role');
    // A dry run is a write request too: a viewer cannot probe with it.
    await expect(viewer.resources.upsert.mutate({ resource: inNamespace('default', 'by-viewer'), dryRun: true })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(viewer.users.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(viewer.resources.get.query({ kind: 'RetryPolicy', name: 'by-viewer' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('lets an editor of shop change shop but not payments, in any of the write procedures; an admin may change payments', async () => {
    const editor = apiClient(url(), tokens.ed);
    expect((await editor.resources.upsert.mutate({ resource: inNamespace('shop', 'cart') })).outcome).toBe('created');
    const refused = await editor.resources.upsert.mutate({ resource: inNamespace('payments', 'billing', 5) }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ data: { code: 'FORBIDDEN' } });
    expect((refused as Error).message).toBe('policy:write refused: namespace "payments" is outside your scope (shop); ask an admin to add it');
    await expect(editor.resources.delete.mutate({ kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(editor.resources.rollback.mutate({ kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments', to: 1 })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    // One document outside the scope refuses the whole multi-document apply.
    await expect(editor.resources.upsertMany.mutate({ resources: [inNamespace('shop', 'two'), inNamespace('payments', 'two')] })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(editor.resources.get.query({ kind: 'RetryPolicy', name: 'two-retry', namespace: 'shop' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    // The default namespace, when a document names none, is outside the scope too.
    const unnamed = { ...retryPolicy('nons'), metadata: { name: 'nons-retry' } };
    await expect(editor.resources.upsert.mutate({ resource: unnamed })).rejects.toMatchObject({ message: expect.stringContaining('namespace "default"') });
    expect((await apiClient(url(), tokens.vera).resources.get.query({ kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments' })).spec).toMatchObject({ attempts: 2 });

    const admin = apiClient(url(), tokens.ada);
    expect((await admin.resources.upsert.mutate({ resource: inNamespace('payments', 'billing', 5) })).outcome).toBe('updated');
    expect((await admin.resources.get.query({ kind: 'RetryPolicy', name: 'billing-retry', namespace: 'payments' })).spec).toMatchObject({ attempts: 5 });
  });

  it('keeps an editor of shop out of payments however a policy reaches it: a target in payments, a mesh-wide policy, deleting or rolling back one that reaches it', async () => {
    const editor = apiClient(url(), tokens.ed);
    const reaching = { ...inNamespace('shop', 'reach'), spec: { ...inNamespace('shop', 'reach').spec, targetRef: { kind: 'Service', name: 'billing', namespace: 'payments' } } };
    await expect(editor.resources.upsert.mutate({ resource: reaching })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' }, message: expect.stringContaining('namespace "payments"') });
    const meshWide = { apiVersion: 'trellis.dev/v1alpha1', kind: 'MutualTLSPolicy', metadata: { name: 'everyone-plain', namespace: 'shop' }, spec: { targetRef: { kind: 'Mesh' }, mode: 'DISABLE' } };
    await expect(editor.resources.upsert.mutate({ resource: meshWide })).rejects.toMatchObject({ message: expect.stringContaining('a mesh-wide policy changes every namespace') });
    const namespaceWide = { ...meshWide, metadata: { name: 'payments-plain', namespace: 'shop' }, spec: { targetRef: { kind: 'Namespace', name: 'payments' }, mode: 'DISABLE' } };
    await expect(editor.resources.upsert.mutate({ resource: namespaceWide })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    expect((await editor.resources.upsert.mutate({ resource: { ...namespaceWide, metadata: { name: 'shop-permissive', namespace: 'shop' }, spec: { targetRef: { kind: 'Namespace', name: 'shop' }, mode: 'PERMISSIVE' } } })).outcome).toBe('created');

    // An admin put a policy in shop that reaches payments: the editor may neither delete it nor roll it back.
    await env.client.resources.upsert.mutate({ resource: reaching });
    await expect(editor.resources.delete.mutate({ kind: 'RetryPolicy', name: 'reach-retry', namespace: 'shop' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    // Nor roll a shop-only policy back to a version that reached payments.
    const local = inNamespace('shop', 'local');
    await env.client.resources.upsert.mutate({ resource: { ...local, spec: { ...local.spec, targetRef: { kind: 'Service', name: 'billing', namespace: 'payments' } } } });
    await env.client.resources.upsert.mutate({ resource: local });
    await expect(editor.resources.rollback.mutate({ kind: 'RetryPolicy', name: 'local-retry', namespace: 'shop', to: 1 })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    expect((await editor.resources.rollback.mutate({ kind: 'RetryPolicy', name: 'local-retry', namespace: 'shop', to: 2 })).outcome).toBe('unchanged');
    expect((await editor.resources.delete.mutate({ kind: 'RetryPolicy', name: 'local-retry', namespace: 'shop' })).kind).toBe('RetryPolicy');
  });

  it('records the authenticated person or token as the author, never a header\'s claim', async () => {
    await postProcedure(url(), 'resources.apply', { resource: inNamespace('shop', 'authored') }, { ...bearer(tokens.ed ?? ''), 'x-trellis-user': 'admin@corp' });
    const service = await env.client.tokens.create.mutate({ name: 'ci pipeline', role: 'editor', namespaces: ['shop'] });
    await apiClient(url(), service.token).resources.upsert.mutate({ resource: inNamespace('shop', 'authored', 3) });
    const history = await env.client.resources.history.query({ kind: 'RetryPolicy', name: 'authored-retry', namespace: 'shop' });
    expect(history.map((h) => h.author)).toEqual(['token:ci pipeline', 'ed']);
    const audit = await env.cp.services.prisma.auditEntry.findMany({ where: { name: 'authored-retry' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.actor)).toEqual(['ed', 'token:ci pipeline']);
  });

  it('answers tokens that are not ours with 401 saying what to do', async () => {
    const res = await getProcedure(url(), 'resources.list', {}, bearer('trt_not-a-real-token'));
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('unknown, revoked or expired');
  });
});
