import { hash, verify } from '@node-rs/argon2';

// Passwords are hashed with argon2id (the Password Hashing Competition's winner, OWASP's first choice)
// through @node-rs/argon2: prebuilt native code, no install scripts. Parameters are OWASP's minimum for
// argon2id (19 MiB, 2 passes), which keep one check near 30 ms on a small machine. argon2id is the
// library's default algorithm (its Algorithm enum is a const enum our TypeScript settings cannot import);
// the stored hashes start with $argon2id$, which the tests check.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

/** Why a new password is refused, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Checked against when the account does not exist, so an unknown name takes as long as a wrong password.
let decoy: Promise<string> | undefined;

/** True when `password` matches `stored`; with no stored hash, spends the same time and says no. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    await verify(await (decoy ??= hashPassword('decoy password, matches nothing')), password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}
