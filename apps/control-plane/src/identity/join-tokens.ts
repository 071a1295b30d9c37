import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseJoinToken } from '@trellis/shared';
import type { Database } from '../db/open.ts';

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
 */
export class JoinTokens {
  /** Uses counted since the last write, by token id: written in one statement per batch, not one per hello. */
  private uses = new Map<string, number>();
  private usesQueued = false;
  private usesWritten: Promise<void> = Promise.resolve();
  private readonly reads = new Map<string, Promise<JoinTokenRow | null>>();

  constructor(
    private readonly prisma: Database,
    private readonly log: (line: string) => void = () => {},
  ) {}

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
    await this.usesWritten;
    return (await this.prisma.joinToken.findMany({ orderBy: { createdAt: 'desc' } })).map(describe);
  }

  /** Revokes a token; returns false when there is no such token. */
  async revoke(id: string): Promise<JoinTokenInfo | undefined> {
    await this.usesWritten;
    const row = await this.prisma.joinToken.findUnique({ where: { id } });
    if (!row) return undefined;
    if (row.revokedAt) return describe(row);
    const revoked = await this.prisma.joinToken.update({ where: { id }, data: { revokedAt: new Date() } });
    this.reads.delete(id);
    return describe(revoked);
  }

  /** Whether a token may let a proxy in; counts the use when it may. */
  async check(token: string): Promise<JoinTokenCheck> {
    const parts = parseJoinToken(token);
    if (!parts) return { ok: false, reason: 'malformed', message: 'the join token is malformed (expected <id>.<secret>.<pin>, as `trellis token create` prints it)' };
    const row = await this.read(parts.id);
    const expected = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex');
    const matches = timingSafeEqual(expected, Buffer.from(hash(parts.secret), 'hex'));
    if (!row || !matches) return { ok: false, reason: 'unknown', message: `join token ${parts.id} is not known to this control plane` };
    if (row.revokedAt) return { ok: false, reason: 'revoked', message: `join token ${parts.id} was revoked at ${row.revokedAt.toISOString()}` };
    if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired', message: `join token ${parts.id} expired at ${row.expiresAt.toISOString()}; create a new one` };
    this.countUse(row.id);
    return { ok: true, tokenId: row.id, service: row.service, namespace: row.namespace };
  }

  /** Resolves once every use counted so far is written. */
  async flushed(): Promise<void> {
    await this.usesWritten;
  }

  /**
   * The token's row. Hellos that check the same token at the same time share one read (a hello storm is
   * thousands of proxies with a handful of tokens). A hello joins only a read already under way when it
   * arrived, and a revocation here drops that read, so hellos after it read the row again.
   */
  private read(id: string): Promise<JoinTokenRow | null> {
    const shared = this.reads.get(id);
    if (shared) return shared;
    const read: Promise<JoinTokenRow | null> = this.prisma.joinToken.findUnique({ where: { id } }).finally(() => {
      if (this.reads.get(id) === read) this.reads.delete(id);
    });
    this.reads.set(id, read);
    return read;
  }

  private countUse(id: string): void {
    this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
    if (this.usesQueued) return;
    this.usesQueued = true;
    this.usesWritten = this.usesWritten
      .then(async () => {
        const batch = this.uses;
        this.uses = new Map();
        this.usesQueued = false;
        await this.prisma.$executeRawUnsafe(
          'UPDATE "join_tokens" AS t SET "uses" = t."uses" + u.n, "last_used_at" = $3::timestamp FROM unnest($1::text[], $2::int[]) AS u(id, n) WHERE t."id" = u.id',
          [...batch.keys()],
          [...batch.values()],
          new Date().toISOString(),
        );
      })
      .catch((err: Error) => this.log(`could not count join-token uses: ${err.message}`));
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
