import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDatabase } from '../src/db/open.ts';
import { readMigrations } from '../src/db/migrate.ts';
import { findMigrationsDir } from '../src/db/open.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';

// schema.prisma and the SQL migrations are written by hand (the schema engine cannot run here), so this
// proves they agree: every model is written through the generated client and read back.
describe.each(DATABASES)('migrations on %s', (_name, create) => {
  let db: TestDatabase;
  let opened: OpenedDatabase | undefined;
  afterEach(async () => {
    await opened?.close();
    await db.cleanup();
  });

  it('writes and reads back every model on a freshly migrated database', async () => {
    db = await create();
    opened = await openDatabase(db.options);
    const p = opened.prisma;
    const resource = await p.resource.create({
      data: { kind: 'RetryPolicy', namespace: 'shop', name: 'r', revision: 1, labels: { team: 'a' }, spec: { attempts: 3 } },
    });
    expect(await p.resource.findUniqueOrThrow({ where: { kind_namespace_name: { kind: 'RetryPolicy', namespace: 'shop', name: 'r' } } })).toMatchObject({
      id: resource.id,
      revision: 1,
      labels: { team: 'a' },
      annotations: {},
      spec: { attempts: 3 },
    });
    await p.revision.create({
      data: { kind: 'RetryPolicy', namespace: 'shop', name: 'r', revision: 1, action: 'CREATE', author: 'ann', note: 'first', after: { spec: 1 } },
    });
    expect(await p.revision.findFirstOrThrow()).toMatchObject({ action: 'CREATE', author: 'ann', note: 'first', before: null, after: { spec: 1 } });
    const audit = await p.auditEntry.create({
      data: { actor: 'ann', action: 'apply', kind: 'RetryPolicy', namespace: 'shop', name: 'r', outcome: 'ok', detail: 'revision 1' },
    });
    expect(typeof audit.id).toBe('bigint');
    expect(await p.auditEntry.findUniqueOrThrow({ where: { id: audit.id } })).toMatchObject({ outcome: 'ok', detail: 'revision 1' });
    await p.counter.create({ data: { name: 'config_version', value: 7 } });
    expect(await p.counter.findUniqueOrThrow({ where: { name: 'config_version' } })).toEqual({ name: 'config_version', value: 7 });

    const start = new Date('2026-11-25T10:00:00.123Z');
    await p.span.create({
      data: {
        spanId: 'a1b2c3d4e5f60718',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        parentSpanId: 'b7ad6b7169203331',
        kind: 'client',
        service: 'frontend.default',
        peerService: 'reviews.default',
        name: 'GET reviews default',
        startTime: start,
        durationMs: 12.5,
        status: 503,
        error: true,
        attributes: { 'retry.attempt': 1 },
      },
    });
    expect(await p.span.findFirstOrThrow({ where: { traceId: '0af7651916cd43dd8448eb211c80319c' } })).toMatchObject({
      parentSpanId: 'b7ad6b7169203331',
      peerService: 'reviews.default',
      startTime: start,
      durationMs: 12.5,
      status: 503,
      error: true,
      attributes: { 'retry.attempt': 1 },
    });

    const expires = new Date('2026-12-01T00:00:00.000Z');
    await p.joinToken.create({ data: { id: 'a1b2c3d4e5f6', secretHash: 'ab'.repeat(32), service: 'payments', namespace: 'shop', createdBy: 'ann', expiresAt: expires } });
    expect(await p.joinToken.findUniqueOrThrow({ where: { id: 'a1b2c3d4e5f6' } })).toMatchObject({
      service: 'payments',
      namespace: 'shop',
      createdBy: 'ann',
      expiresAt: expires,
      revokedAt: null,
      lastUsedAt: null,
      uses: 0,
    });
    await p.issuedCertificate.create({
      data: {
        serial: '0a1b',
        identity: 'spiffe://trellis.local/ns/shop/sa/payments',
        service: 'payments',
        namespace: 'shop',
        instance: 'payments-1',
        tokenId: 'a1b2c3d4e5f6',
        rootId: 'root-1',
        notBefore: start,
        notAfter: expires,
      },
    });
    expect(await p.issuedCertificate.findFirstOrThrow({ where: { tokenId: 'a1b2c3d4e5f6' } })).toMatchObject({ serial: '0a1b', rootId: 'root-1', notAfter: expires });

    await p.proxyEndpoint.create({ data: { instance: 'payments-1', service: 'payments', namespace: 'shop', address: '10.0.0.7', port: 15006, labels: { version: 'v2' }, identity: 'spiffe://trellis.local/ns/shop/sa/payments' } });
    expect(await p.proxyEndpoint.findUniqueOrThrow({ where: { instance: 'payments-1' } })).toMatchObject({ port: 15006, zone: null, labels: { version: 'v2' }, identity: 'spiffe://trellis.local/ns/shop/sa/payments' });
    await p.caObject.create({ data: { name: 'state.json', body: 'v1:iv:tag:sealed' } });
    expect(await p.caObject.findUniqueOrThrow({ where: { name: 'state.json' } })).toMatchObject({ body: 'v1:iv:tag:sealed' });

    // People, sessions, tokens, throttling, sign-in links and OIDC sign-ins in progress (issue 10).
    const later = expires;
    const user = await p.user.create({ data: { username: 'ann', role: 'editor', namespaces: ['shop', 'payments'], passwordHash: '$argon2id$x', oidcSubject: 'https://idp ann' } });
    expect(await p.user.findUniqueOrThrow({ where: { username: 'ann' } })).toMatchObject({
      id: user.id,
      role: 'editor',
      namespaces: ['shop', 'payments'],
      passwordHash: '$argon2id$x',
      oidcSubject: 'https://idp ann',
      lastSignInAt: null,
    });
    expect((await p.user.create({ data: { username: 'bob', role: 'viewer' } })).namespaces).toEqual([]);
    await p.session.create({ data: { secretHash: 's1', csrfHash: 'c1', userId: user.id, method: 'password', address: '10.0.0.1', userAgent: 'ua', expiresAt: later } });
    expect(await p.session.findUniqueOrThrow({ where: { secretHash: 's1' }, include: { user: true } })).toMatchObject({
      csrfHash: 'c1',
      method: 'password',
      address: '10.0.0.1',
      expiresAt: later,
      revokedAt: null,
      user: { username: 'ann' },
    });
    await p.apiToken.create({ data: { name: 'ci', secretHash: 't1', prefix: 'trt_abc', role: 'editor', namespaces: ['shop'], createdBy: 'ann', expiresAt: later } });
    await p.apiToken.create({ data: { name: 'cli', secretHash: 't2', prefix: 'trt_def', userId: user.id, createdBy: 'ann' } });
    expect(await p.apiToken.findUniqueOrThrow({ where: { secretHash: 't1' } })).toMatchObject({ role: 'editor', namespaces: ['shop'], userId: null, expiresAt: later });
    expect(await p.apiToken.findUniqueOrThrow({ where: { secretHash: 't2' }, include: { user: true } })).toMatchObject({ role: null, user: { username: 'ann' } });
    await p.signInThrottle.create({ data: { key: 'account:ann', failures: 3, firstFailureAt: start, lastFailureAt: later, lockedUntil: later } });
    expect(await p.signInThrottle.findUniqueOrThrow({ where: { key: 'account:ann' } })).toEqual({ key: 'account:ann', failures: 3, firstFailureAt: start, lastFailureAt: later, lockedUntil: later });
    await p.signInLink.create({ data: { secretHash: 'l1', userId: user.id, createdBy: 'first run', expiresAt: later } });
    expect(await p.signInLink.findUniqueOrThrow({ where: { secretHash: 'l1' } })).toMatchObject({ userId: user.id, createdBy: 'first run', usedAt: null });
    await p.oidcLogin.create({ data: { stateHash: 'o1', codeVerifier: 'v', nonce: 'n', returnTo: '/graph', cliRedirect: 'http://127.0.0.1:1/callback', cliChallenge: 'c', expiresAt: later } });
    await p.oidcLogin.update({ where: { stateHash: 'o1' }, data: { cliCodeHash: 'code', userId: user.id } });
    expect(await p.oidcLogin.findUniqueOrThrow({ where: { cliCodeHash: 'code' } })).toMatchObject({ codeVerifier: 'v', nonce: 'n', returnTo: '/graph', userId: user.id });
    // Removing a person removes their sessions, tokens and links with them.
    await p.user.delete({ where: { id: user.id } });
    expect([await p.session.count(), await p.apiToken.count(), await p.signInLink.count()]).toEqual([0, 1, 0]);
    await expect(p.user.create({ data: { username: 'bob', role: 'admin' } })).rejects.toMatchObject({ code: 'P2002' });

    // Unique constraints the store relies on for conflicts exist.
    await expect(
      p.resource.create({ data: { kind: 'RetryPolicy', namespace: 'shop', name: 'r', revision: 1, spec: {} } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('records applied migrations in _prisma_migrations as Prisma does, and applies nothing twice', async () => {
    db = await create();
    opened = await openDatabase(db.options);
    await opened.close();
    const lines: string[] = [];
    opened = await openDatabase({ ...db.options, log: (l) => lines.push(l) });
    expect(lines).toEqual([]);
    const rows = await opened.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }[]>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    const files = await readMigrations(findMigrationsDir());
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(files.map((m) => [m.name, m.checksum, 1]));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });
});
