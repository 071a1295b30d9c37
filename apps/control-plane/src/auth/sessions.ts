import type { Database } from '../db/open.ts';
import type { Session, User } from '../generated/prisma/client.ts';
import { SECRET_PREFIX, hashSecret, newSecret } from './secrets.ts';

export interface SessionOptions {
  /** A session not used for this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, however active. */
  maxAgeMs: number;
  /** How often a running subscription's session or token is checked again (a read of its row). */
  recheckMs: number;
}

export const DEFAULT_SESSIONS: SessionOptions = { idleMs: 12 * 3600_000, maxAgeMs: 7 * 24 * 3600_000, recheckMs: 5_000 };

/** lastSeenAt is written at most this often (or a quarter of the idle time), so reading a page is not a write per request. */
const TOUCH_EVERY_MS = 60_000;

export type SignInMethod = 'password' | 'link' | 'sso';

/** Browser sessions: server-side rows behind the httpOnly cookie, revocable, with idle and absolute expiry. */
export class SessionStore {
  constructor(
    private readonly prisma: Database,
    readonly options: SessionOptions = DEFAULT_SESSIONS,
  ) {}

  /** A new session; returns the cookie's secret and the CSRF token (neither is stored). */
  async create(userId: string, method: SignInMethod, client: { address?: string; userAgent?: string } = {}) {
    // Sessions that ended more than a day ago are of no use to anyone: each sign-in sweeps them away.
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    await this.prisma.session.deleteMany({ where: { OR: [{ expiresAt: { lt: dayAgo } }, { revokedAt: { lt: dayAgo } }, { lastSeenAt: { lt: new Date(Date.now() - this.options.idleMs - 24 * 3600_000) } }] } });
    const secret = newSecret(SECRET_PREFIX.session);
    const csrf = newSecret();
    const session = await this.prisma.session.create({
      data: {
        secretHash: hashSecret(secret),
        csrfHash: hashSecret(csrf),
        userId,
        method,
        address: client.address ?? null,
        userAgent: client.userAgent?.slice(0, 300) ?? null,
        expiresAt: new Date(Date.now() + this.options.maxAgeMs),
      },
    });
    return { secret, csrf, session };
  }

  /** The live session behind a cookie, with its user; null when unknown, revoked, idle too long or past its end. */
  async resolve(secret: string, now = Date.now()): Promise<(Session & { user: User }) | null> {
    const found = await this.prisma.session.findUnique({ where: { secretHash: hashSecret(secret) }, include: { user: true } });
    if (!found || !this.live(found, now)) return null;
    if (now - found.lastSeenAt.getTime() > Math.min(TOUCH_EVERY_MS, this.options.idleMs / 4)) {
      await this.prisma.session.update({ where: { id: found.id }, data: { lastSeenAt: new Date(now) } });
    }
    return found;
  }

  /** The same check by id, without counting as use (for a WebSocket connection's later calls). */
  async resolveById(id: string, now = Date.now()): Promise<(Session & { user: User }) | null> {
    const found = await this.prisma.session.findUnique({ where: { id }, include: { user: true } });
    return found && this.live(found, now) ? found : null;
  }

  private live(session: Session, now: number): boolean {
    return !session.revokedAt && session.expiresAt.getTime() > now && session.lastSeenAt.getTime() + this.options.idleMs > now;
  }

  /** When the cookie should stop being sent: the session's absolute end. */
  cookieMaxAgeSeconds(): number {
    return Math.floor(this.options.maxAgeMs / 1000);
  }

  async revoke(id: string): Promise<void> {
    await this.prisma.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  /** Signs a person out everywhere (but in session `except`); returns how many sessions ended. */
  async revokeForUser(userId: string, except?: string): Promise<number> {
    const { count } = await this.prisma.session.updateMany({
      where: { userId, revokedAt: null, ...(except ? { id: { not: except } } : {}) },
      data: { revokedAt: new Date() },
    });
    return count;
  }

  /** A person's live sessions, newest first (for the Users page). */
  listForUser(userId: string) {
    return this.prisma.session.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { lastSeenAt: 'desc' },
      select: { id: true, method: true, address: true, userAgent: true, createdAt: true, lastSeenAt: true, expiresAt: true },
    });
  }
}
