import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { AppRouter } from '../src/index.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, retryPolicy, startTestControlPlane } from './support/control-plane.ts';

// Issue 11: a 50 MB annotation was accepted and stored, request bodies had no limit, a NUL anywhere gave
// a 500 whose body was Prisma's error text, and `__proto__` in a label selector was dropped silently.
// Every input is bounded now, refused with a 4xx that names the field, and nothing internal leaves.

interface ErrorBody {
  error: { message: string; data: { code: string; httpStatus: number; fieldErrors?: Array<{ path: string; message: string }>; requestId?: string } };
}

describe.each(DATABASES)('bounded API inputs on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const logged: string[] = [];

  beforeAll(async () => {
    db = await create();
    env = await startTestControlPlane({ ...db.options, log: (line) => logged.push(line) });
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  /** POSTs `body` (text, sent as it is) to a procedure. */
  const post = async (procedure: string, body: string) => {
    const res = await fetch(`${env.cp.url}/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` }, body });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const get = async (procedure: string, input: unknown) => {
    const res = await fetch(`${env.cp.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` } });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const apply = (resource: unknown) => post('resources.apply', JSON.stringify({ resource }));
  /** Expects a 400 whose first field error is at `path`, and the message to say so too. */
  const expectField = (answer: { status: number; body: ErrorBody }, path: string, message: RegExp) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    const [first] = answer.body.error.data.fieldErrors ?? [];
    expect(first?.path).toBe(path);
    expect(first?.message).toMatch(message);
    expect(answer.body.error.message).toContain(path);
  };
  const stored = async (name: string) => (await env.client.resources.list.query({ kind: 'RetryPolicy' })).some((r) => r.metadata.name === name);

  it('answers a body over 1 MiB with 413 naming the limit, whether its length is declared or not, and stores nothing', async () => {
    const huge = retryPolicy('big', 3, 'big-retry');
    const withNote = JSON.stringify({ resource: { ...huge, metadata: { ...huge.metadata, annotations: { note: 'x'.repeat(2 * 1024 * 1024) } } } });
    const declared = await post('resources.apply', withNote);
    expect(declared.status).toBe(413);
    expect(declared.body.error.data.code).toBe('PAYLOAD_TOO_LARGE');
    expect(declared.body.error.message).toMatch(/larger than 1048576 bytes, the control plane's limit; .*--max-body-bytes/);

    // Chunked: no Content-Length to refuse up front, so it is counted as it arrives.
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${env.cp.url}/trpc/resources.apply`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (let i = 0; i < 32; i++) req.write(withNote.slice(i * 65_536, (i + 1) * 65_536));
      req.end(withNote.slice(32 * 65_536));
    });
    expect(chunked.status).toBe(413);
    expect(chunked.text).toContain('1048576 bytes');

    // The 50 MB annotation: refused as well, and the client gets the answer.
    const fifty = await post('resources.apply', JSON.stringify({ resource: { ...huge, metadata: { ...huge.metadata, annotations: { note: 'x'.repeat(50 * 1024 * 1024) } } } }));
    expect(fifty.status).toBe(413);
    expect(await stored('big-retry')).toBe(false);
    // The server serves on.
    expect((await env.client.resources.list.query({})).length).toBeGreaterThanOrEqual(0);
  });

  it('closes a tRPC WebSocket whose message is over the same limit (1009, message too big)', async () => {
    const ws = new WebSocket(`${env.cp.url.replace('http', 'ws')}/trpc`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ id: 1, method: 'mutation', params: { path: 'resources.upsert', input: { resource: 'x'.repeat(2 * 1024 * 1024) } } }));
    expect(await closed).toBe(1009);
  });

  it('names the field of a procedure input that fails its schema, as resource errors do', async () => {
    expectField(await get('graph.get', { windowSeconds: 5000 }), 'windowSeconds', /<=900/);
    expectField(await get('resources.get', { kind: 'RetryPolicy', name: 'n'.repeat(300) }), 'name', /<=253/);
  });

  it('refuses annotations over 256 KiB in total with 400 naming metadata.annotations', async () => {
    const r = retryPolicy('annotated', 3, 'annotated-retry');
    const answer = await apply({ ...r, metadata: { ...r.metadata, annotations: { a: 'x'.repeat(200 * 1024), b: 'y'.repeat(100 * 1024) } } });
    expectField(answer, 'metadata.annotations', /more than 262144 \(256 KiB\)/);
    expect(await stored('annotated-retry')).toBe(false);
  });

  it('refuses NUL in a resource with 400 naming the field, and audits the refusal without NUL reaching the database', async () => {
    const r = retryPolicy('nul', 3, 'nul-retry');
    expectField(await apply({ ...r, metadata: { ...r.metadata, name: 'nul\u0000retry' } }), 'metadata.name', /must not contain NUL/);
    expectField(await apply({ ...r, spec: { ...r.spec, perTryTimeout: '5\u0000s' } }), 'spec.perTryTimeout', /NUL/);
    const audit = await env.cp.services.prisma.auditEntry.findMany({ where: { outcome: 'invalid', name: { startsWith: 'nul' } } });
    expect(audit.map((a) => a.name)).toContain('nul\uFFFDretry');
  });

  it('refuses NUL and lone surrogates in any procedure input, not only resources', async () => {
    expectField(await post('resources.apply', JSON.stringify({ resource: retryPolicy('note', 3), note: 'a\u0000b' })), 'note', /NUL/);
    expectField(await get('resources.get', { kind: 'RetryPolicy', name: 'x\u0000' }), 'name', /NUL/);
    expectField(await get('graph.get', { namespace: 'shop\u0000' }), 'namespace', /NUL/);
    // A lone surrogate, as a JSON escape (the only way to send one in UTF-8).
    const lone = JSON.stringify({ resource: retryPolicy('lone', 3, 'lone-retry'), note: 'X' }).replace('"X"', '"\\ud800"');
    expectField(await post('resources.apply', lone), 'note', /lone UTF-16 surrogate \\ud800/);
    const inResource = JSON.stringify({ resource: { ...retryPolicy('lone', 3, 'lone-retry'), metadata: { name: 'lone-retry', annotations: { a: 'X' } } } }).replace('"X"', '"\\udfff"');
    expectField(await post('resources.apply', inResource), 'metadata.annotations.a', /lone UTF-16 surrogate/);
    expect(await stored('lone-retry')).toBe(false);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key like any unknown field, in records and procedure inputs', async (key) => {
    const split = JSON.stringify({
      resource: {
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'TrafficSplit',
        metadata: { name: 'reviews', labels: { team: 'a' } },
        spec: { targetRef: { kind: 'Service', name: 'reviews' }, backends: [{ name: 'v1', selector: { version: 'v1', KEY: 'x' }, weight: 100 }] },
      },
    });
    expectField(await post('resources.apply', split.replace('"KEY"', `"${key}"`)), `spec.backends[0].selector.${key}`, /unknown field/);
    expectField(await post('resources.apply', split.replace('"KEY":"x"', '"version2":"x"').replace('"team"', `"${key}"`)), `metadata.labels.${key}`, /unknown field/);
    expectField(await post('resources.delete', `{"kind":"TrafficSplit","name":"reviews","${key}":{"polluted":true}}`), key, /unknown field/);
  });

  it('refuses deep nesting and huge arrays with 400 naming where', async () => {
    const r = retryPolicy('deep', 3, 'deep-retry');
    const deep = JSON.stringify({ resource: { ...r, status: { x: 'DEEP' } } }).replace('"DEEP"', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
    const nested = await post('resources.apply', deep);
    expect(nested.status).toBe(400);
    expect(nested.body.error.data.fieldErrors?.[0]?.message).toMatch(/nests deeper than 32 levels/);
    expect(nested.body.error.data.fieldErrors?.[0]?.path).toMatch(/^status\.x(\.a)+$/);
    // Deep nesting in a field the procedure does not even have.
    const extra = await post('resources.delete', `{"kind":"RetryPolicy","name":"x","extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(extra.status).toBe(400);
    expect(extra.body.error.data.fieldErrors?.[0]?.path).toMatch(/^extra(\[0\])+$/);

    const wide = await apply({ ...r, status: { list: new Array(100_000).fill(0) } });
    expectField(wide, 'status.list', /has 100000 items, more than 10000/);
    const rules = Array.from({ length: 500 }, () => ({ from: ['*'] }));
    expectField(
      await apply({ apiVersion: 'trellis.dev/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name: 'wide' }, spec: { targetRef: { kind: 'Service', name: 'x' }, action: 'Allow', rules } }),
      'spec.rules',
      /at most 64 rules/,
    );
  });

  it('takes no author from WebSocket connection params (NUL or otherwise): the author is the authenticated caller', async () => {
    const wsClient = createWSClient({
      url: `${env.cp.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as never,
      connectionParams: { user: 'eve\u0000', token: TEST_BOOTSTRAP_TOKEN },
    });
    try {
      const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
      const written = await client.resources.upsert.mutate({ resource: retryPolicy('ws', 3, 'ws-retry') });
      expect(written.outcome).toBe('created');
      const [revision] = await env.client.resources.history.query({ kind: 'RetryPolicy', name: 'ws-retry' });
      expect(revision?.author).toBe('token:bootstrap');
    } finally {
      await wsClient.close();
    }
  });

  it('shows a client only a request id for an internal error; the log has the id and the cause', async () => {
    // Make the store fail underneath: the table it reads is gone for a moment.
    await env.cp.services.prisma.$executeRawUnsafe('ALTER TABLE "resources" RENAME TO "resources_away"');
    try {
      const answer = await get('resources.list', {});
      expect(answer.status).toBe(500);
      const { message, data } = answer.body.error;
      expect(data.requestId).toMatch(/^[0-9a-f]{12}$/);
      expect(message).toBe(`internal error (request id ${data.requestId}); the control plane's log has the details under that id`);
      expect(JSON.stringify(answer.body)).not.toMatch(/prisma|relation|does not exist|resources_away|at .*\.ts/i);
      const line = logged.find((l) => l.includes(`request ${data.requestId ?? 'none'}`));
      expect(line).toContain('resources.list');
      expect(line).toMatch(/resource/i);
    } finally {
      await env.cp.services.prisma.$executeRawUnsafe('ALTER TABLE "resources_away" RENAME TO "resources"');
    }
    expect((await get('resources.list', {})).status).toBe(200);
  });
});
