import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Every credential Trellis hands out (API tokens, session cookies, sign-in links, CSRF tokens) is 32
// random bytes from node:crypto; the database keeps only their SHA-256, so a copy of it signs nobody in.

/** Prefixes that say what a secret is (and let secret scanners recognise Trellis tokens). */
export const SECRET_PREFIX = { apiToken: 'trt_', session: 'trs_', link: 'trl_', cliCode: 'trc_' } as const;

/** 32 random bytes, base64url, after `prefix`. */
export function newSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 (hex) of a secret: what the database stores and looks secrets up by. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets in constant time (for secrets held in memory, like the bootstrap token). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
