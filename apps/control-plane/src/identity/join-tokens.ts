import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { parseJoinToken } from '@trellis/shared';
import type { Database } from '../db/open.ts';
import { WriteBatches } from '../db/write-batches.ts';

/** How long a token's row, once read, answers hellos (see JoinTokens.read). */
const TOKEN_READ_MS = 1000;
/** How long a revocation told by another replica makes older reads of the token's row suspect. */
const REVOCATION_KEPT_MS = 60_000;

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface JoinTokenInfo {
  id: string;
  service: string;
  namespace: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  uses: number;
  state: 'valid' | 'expired' | 'revoked';
}

type JoinTokenRow = NonNullable<Awaited<ReturnType<Database['joinToken']['findUnique']>>>;

export type JoinTokenCheck =
  | { ok: true; tokenId: string; service: string; namespace: string }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'revoked'; message: string };

/**
 * Join tokens in the database (the format is in @trellis/shared's identity.ts): created and shown once,
 * checked in constant time, revocable.
 * Events: 'revoked' (id), after a revocation made here is written (the other replicas are told of it).
 */
export class JoinTokens extends EventEmitter {
  /** Uses counted since the last write, by token id: written in one statement per batch, not one per hello. */
  private readonly uses: WriteBatches<number>;
  /** Rows read lately, by id (see read()). */
  private readonly rows = new Map<string, { row: Promise<JoinTokenRow | null>; at: number }>();
  /**
   * When this replica last learned that a token was revoked, here (revoke) or on another replica (forget),
   * kept for REVOCATION_KEPT_MS: reads and hellos that began before then are checked again.
   */
  private readonly revocations = new Map<string, number>();

  constructor(
    private readonly prisma: Database,
    log: (line: string) => void = () => {},
  ) {
    super();
    this.uses = new WriteBatches(
      (batch) =>
        this.prisma.$executeRawUnsafe(
          'UPDATE "join_tokens" AS t SET "uses" = t."uses" + u.n, "last_used_at" = $3::timestamp FROM unnest($1::text[], $2::int[]) AS u(id, n) WHERE t."id" = u.id',
          [...batch.keys()],
          [...batch.values()],
          new Date().toISOString(),
        ),
      (err) => log(`could not count join-token uses: ${err.message}`),
    );
  }

  async create(input: { service: string; namespace: string; ttlMs: number; createdBy: string; pin: string }): Promise<{ token: string; info: JoinTokenInfo }> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row = await this.prisma.joinToken.create({
      data: {
        id,
        secretHash: hash(secret),
        service: input.service,
        namespace: input.namespace,
        createdBy: input.createdBy,
        expiresAt: new Date(Date.now() + input.ttlMs),
      },
    });
    return { token: `${id}.${secret}.${input.pin}`, info: describe(row) };
  }

  async list(): Promise<JoinTokenInfo[]> {
    await this.uses.flushed();
    return (await this.prisma.joinToken.findMany({ orderBy: { createdAt: 'desc' } })).map(describe);
  }

  /** Revokes a token; returns false when there is no such token. */
  async revoke(id: string): Promise<JoinTokenInfo | undefined> {
    await this.uses.flushed();
    const row = await this.prisma.joinToken.findUnique({ where: { id } });
    if (!row) return undefined;
    if (row.revokedAt) return describe(row);
    const revoked = await this.prisma.joinToken.update({ where: { id }, data: { revokedAt: new Date() } });
    this.rows.delete(id);
    this.noteRevocation(id);
    this.emit('revoked', id);
    return describe(revoked);
  }

  /** Forgets a row read lately: another replica revoked the token, and the next hello must read it again. */
  forget(id: string): void {
    this.rows.delete(id);
    this.noteRevocation(id);
  }

  /**
   * Whether the token was revoked (as far as this replica knows) at or after `since` (performance.now()):
   * a hello that passed check() before then must not be let in, since the revocation found no session
   * of it to cut off.
   */
  revokedSince(id: string, since: number): boolean {
    return (this.revocations.get(id) ?? -Infinity) >= since;
  }

  private noteRevocation(id: string): void {
    // A read already under way may have started before the revocation was written: check() reads again.
    this.revocations.set(id, performance.now());
    // Kept well past a cached row's second and a hello's longest answer: either may have begun before it.
    setTimeout(() => this.revocations.delete(id), REVOCATION_KEPT_MS).unref();
  }

  /** Whether a token may let a proxy in; counts the use when it may. */
  async check(token: string): Promise<JoinTokenCheck> {
    const parts = parseJoinToken(token);
    if (!parts) return { ok: false, reason: 'malformed', message: 'the join token is malformed (expected <id>.<secret>.<pin>, as `trellis token create` prints it)' };
    const read = this.read(parts.id);
    let row = await read.row;
    // It was revoked after this read began: the row may predate the revocation.
    if (this.revokedSince(parts.id, read.at)) row = await this.prisma.joinToken.findUnique({ where: { id: parts.id } });
    const expected = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex');
    const matches = timingSafeEqual(expected, Buffer.from(hash(parts.secret), 'hex'));
    if (!row || !matches) return { ok: false, reason: 'unknown', message: `join token ${parts.id} is not known to this control plane` };
    if (row.revokedAt) return { ok: false, reason: 'revoked', message: `join token ${parts.id} was revoked at ${row.revokedAt.toISOString()}` };
    if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired', message: `join token ${parts.id} expired at ${row.expiresAt.toISOString()}; create a new one` };
    this.uses.update(row.id, (n = 0) => n + 1);
    return { ok: true, tokenId: row.id, service: row.service, namespace: row.namespace };
  }

  /** Resolves once every use counted so far is written. */
  async flushed(): Promise<void> {
    await this.uses.flushed();
  }

  /**
   * The token's row, read at most once a second: a hello storm is thousands of proxies with a handful of
   * tokens. A revocation here, or on another replica (which tells this one: forget()), is seen at once.
   */
  private read(id: string): { row: Promise<JoinTokenRow | null>; at: number } {
    const now = performance.now();
    const cached = this.rows.get(id);
    if (cached && now - cached.at < TOKEN_READ_MS) return cached;
    const row = Promise.resolve(this.prisma.joinToken.findUnique({ where: { id } }));
    const entry = { row, at: now };
    this.rows.set(id, entry);
    // A failed read is not kept; nor are rows past their time, so the map holds only the tokens in use.
    row.catch(() => this.rows.delete(id));
    setTimeout(() => {
      if (this.rows.get(id)?.row === row) this.rows.delete(id);
    }, TOKEN_READ_MS).unref();
    return entry;
  }

  /** True when the token a certificate descends from was revoked (or no longer exists). */
  async isRevoked(id: string): Promise<boolean> {
    const row = await this.prisma.joinToken.findUnique({ where: { id }, select: { revokedAt: true } });
    return !row || row.revokedAt !== null;
  }
}

function describe(row: {
  id: string;
  service: string;
  namespace: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  uses: number;
}): JoinTokenInfo {
  return {
    id: row.id,
    service: row.service,
    namespace: row.namespace,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    uses: row.uses,
    state: row.revokedAt ? 'revoked' : row.expiresAt.getTime() <= Date.now() ? 'expired' : 'valid',
  };
}
