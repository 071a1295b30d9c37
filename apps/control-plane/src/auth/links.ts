import type { Database } from '../db/open.ts';
import { SECRET_PREFIX, hashSecret, newSecret } from './secrets.ts';

/** How long a sign-in link works. */
export const LINK_TTL_MS = 15 * 60_000;

/** Single-use sign-in links (first run, invitations): the link carries the secret, the row its SHA-256. */
export class SignInLinks {
  constructor(private readonly prisma: Database) {}

  /** A new link's secret for `userId`, valid for `ttlMs`. */
  async create(userId: string, createdBy: string, ttlMs = LINK_TTL_MS): Promise<{ secret: string; expiresAt: Date }> {
    // Used and expired links are kept a day (for whoever looks at the table), then swept away here.
    await this.prisma.signInLink.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 24 * 3600_000) } } });
    const secret = newSecret(SECRET_PREFIX.link);
    const expiresAt = new Date(Date.now() + ttlMs);
    await this.prisma.signInLink.create({ data: { secretHash: hashSecret(secret), userId, createdBy, expiresAt } });
    return { secret, expiresAt };
  }

  /** Uses a link up: whom it signs in (and who made it), or null if it is unknown, used or expired (one use, even when two race). */
  async consume(secret: string): Promise<{ userId: string; createdBy: string } | null> {
    const secretHash = hashSecret(secret);
    const { count } = await this.prisma.signInLink.updateMany({ where: { secretHash, usedAt: null, expiresAt: { gt: new Date() } }, data: { usedAt: new Date() } });
    if (count !== 1) return null;
    const link = await this.prisma.signInLink.findUnique({ where: { secretHash } });
    return link ? { userId: link.userId, createdBy: link.createdBy } : null;
  }
}
