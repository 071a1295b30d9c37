import type { Database } from '../db/open.ts';
import type { ApiToken, User } from '../generated/prisma/client.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Role } from './permissions.ts';
import { SECRET_PREFIX, hashSecret, newSecret } from './secrets.ts';
import { checkNamespaces, checkRole } from './users.ts';

/** lastUsedAt is written at most this often per token. */
const TOUCH_EVERY_MS = 60_000;

export interface NewToken {
  name: string;
  /** A token of nobody's has its own role; a person's token (userId) acts with that person's role. */
  role?: Role;
  namespaces?: string[];
  userId?: string;
  ttlMs?: number;
  createdBy: string;
}

function live(token: ApiToken, now: number): boolean {
  return !token.revokedAt && !(token.expiresAt && token.expiresAt.getTime() <= now);
}

/** API tokens (Authorization: Bearer): the secret is returned once by create, only its SHA-256 is kept. */
export class TokenStore {
  constructor(private readonly prisma: Database) {}

  async create(input: NewToken): Promise<{ secret: string; token: ApiToken }> {
    const name = input.name.trim();
    if (!/^[\w .@:-]{1,100}$/.test(name)) {
      throw new ValidationError([{ path: 'name', message: 'use 1 to 100 letters, digits, spaces and . _ @ : -' }], 'invalid token');
    }
    if (input.ttlMs !== undefined && !(input.ttlMs > 0)) throw new ValidationError([{ path: 'ttl', message: 'must be longer than 0' }], 'invalid token');
    const secret = newSecret(SECRET_PREFIX.apiToken);
    const token = await this.prisma.apiToken.create({
      data: {
        name,
        secretHash: hashSecret(secret),
        prefix: secret.slice(0, SECRET_PREFIX.apiToken.length + 6),
        userId: input.userId ?? null,
        role: input.userId ? null : checkRole(input.role ?? 'viewer'),
        namespaces: input.userId ? [] : checkNamespaces(input.namespaces ?? []),
        createdBy: input.createdBy,
        expiresAt: input.ttlMs === undefined ? null : new Date(Date.now() + input.ttlMs),
      },
    });
    return { secret, token };
  }

  /** The live token for a bearer secret, with its person if it has one; null when unknown, revoked or expired. */
  async resolve(secret: string, now = Date.now()): Promise<(ApiToken & { user: User | null }) | null> {
    if (!secret.startsWith(SECRET_PREFIX.apiToken)) return null;
    const found = await this.prisma.apiToken.findUnique({ where: { secretHash: hashSecret(secret) }, include: { user: true } });
    if (!found || !live(found, now)) return null;
    if (!found.lastUsedAt || now - found.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await this.prisma.apiToken.update({ where: { id: found.id }, data: { lastUsedAt: new Date(now) } });
    }
    return found;
  }

  /** The same check by id (for a WebSocket connection's later calls). */
  async resolveById(id: string, now = Date.now()): Promise<(ApiToken & { user: User | null }) | null> {
    const found = await this.prisma.apiToken.findUnique({ where: { id }, include: { user: true } });
    return found && live(found, now) ? found : null;
  }

  /** Every token not revoked (expired ones included, marked by expiresAt), newest first. */
  list() {
    return this.prisma.apiToken.findMany({
      where: { revokedAt: null },
      orderBy: { createdAt: 'desc' },
      include: { user: { select: { username: true } } },
    });
  }

  async revoke(id: string): Promise<ApiToken> {
    const token = await this.prisma.apiToken.findUnique({ where: { id } });
    if (!token || token.revokedAt) throw new NotFoundError(`token ${id} not found (or already revoked); \`trellis token list\` shows the live ones`);
    return this.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  }

  async revokeForUser(userId: string): Promise<number> {
    const { count } = await this.prisma.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }
}
