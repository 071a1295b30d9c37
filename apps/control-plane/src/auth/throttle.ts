import type { Database } from '../db/open.ts';

/** How failed sign-ins slow down and then lock an account (per address the thresholds are `addressFactor` times higher). */
export interface ThrottleOptions {
  /** Failures after which every further try must wait (the wait doubles with each failure). */
  slowAfter: number;
  /** The first wait. */
  delayMs: number;
  maxDelayMs: number;
  /** Failures after which the account (or address) is locked for `lockMs`. */
  lockAfter: number;
  lockMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** One address may fail this many times more than one account (people behind one NAT). */
  addressFactor: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  slowAfter: 3,
  delayMs: 1000,
  maxDelayMs: 30_000,
  lockAfter: 10,
  lockMs: 15 * 60_000,
  windowMs: 15 * 60_000,
  addressFactor: 5,
};

/** A sign-in refused before its password was even checked. */
export interface ThrottleRefusal {
  retryAfterMs: number;
  message: string;
}

type Key = { key: string; what: 'account' | 'address' };

/**
 * Sign-in throttling kept in the database (so it holds across restarts and replicas), keyed by account
 * ("account:<name>") and by client address ("address:<ip>"). A refused try is not counted and its
 * password is not checked, so waiting is the only way forward.
 */
export class SignInThrottle {
  constructor(
    private readonly prisma: Database,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
  ) {}

  static keys(username: string, address: string): Key[] {
    return [
      { key: `account:${username}`, what: 'account' },
      { key: `address:${address}`, what: 'address' },
    ];
  }

  private limits(what: Key['what']) {
    const f = what === 'address' ? this.options.addressFactor : 1;
    return { slowAfter: this.options.slowAfter * f, lockAfter: this.options.lockAfter * f };
  }

  private stale(row: { firstFailureAt: Date; lockedUntil: Date | null }, now: number): boolean {
    return (row.lockedUntil !== null && row.lockedUntil.getTime() <= now) || row.firstFailureAt.getTime() < now - this.options.windowMs;
  }

  /** Null when the try may go ahead; otherwise how long to wait and why. */
  async check(keys: Key[], now = Date.now()): Promise<ThrottleRefusal | null> {
    const rows = await this.prisma.signInThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
    let refusal: ThrottleRefusal | null = null;
    for (const k of keys) {
      const row = rows.find((r) => r.key === k.key);
      if (!row || this.stale(row, now)) continue;
      const subject = k.what === 'account' ? 'this account' : 'your address';
      let candidate: ThrottleRefusal | null = null;
      if (row.lockedUntil && row.lockedUntil.getTime() > now) {
        const ms = row.lockedUntil.getTime() - now;
        candidate = {
          retryAfterMs: ms,
          message: `too many failed sign-ins for ${subject}: locked for ${describeWait(ms)} (until ${row.lockedUntil.toISOString()}); wait, or ask an admin for a sign-in link`,
        };
      } else if (row.failures >= this.limits(k.what).slowAfter) {
        const delay = Math.min(this.options.maxDelayMs, this.options.delayMs * 2 ** (row.failures - this.limits(k.what).slowAfter));
        const ms = row.lastFailureAt.getTime() + delay - now;
        if (ms > 0) candidate = { retryAfterMs: ms, message: `too many failed sign-ins for ${subject}: wait ${describeWait(ms)} before trying again` };
      }
      if (candidate && (!refusal || candidate.retryAfterMs > refusal.retryAfterMs)) refusal = candidate;
    }
    return refusal;
  }

  /** Counts a failed try against every key; a key that reaches its limit locks. */
  async fail(keys: Key[], now = Date.now()): Promise<void> {
    const at = new Date(now);
    for (const k of keys) {
      const row = await this.prisma.signInThrottle.findUnique({ where: { key: k.key } });
      const failures = !row || this.stale(row, now) ? 1 : row.failures + 1;
      const lockedUntil = failures >= this.limits(k.what).lockAfter ? new Date(now + this.options.lockMs) : null;
      const data = { failures, lastFailureAt: at, lockedUntil, ...(failures === 1 ? { firstFailureAt: at } : {}) };
      await this.prisma.signInThrottle.upsert({ where: { key: k.key }, create: { key: k.key, firstFailureAt: at, ...data }, update: data });
    }
  }

  /** A good sign-in forgets the account's failures (the address keeps its count: others may be guessing from it). */
  async succeed(keys: Key[]): Promise<void> {
    await this.prisma.signInThrottle.deleteMany({ where: { key: { in: keys.filter((k) => k.what === 'account').map((k) => k.key) } } });
  }
}

function describeWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}
