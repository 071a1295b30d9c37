import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { PASSWORD, createUser, postSignIn } from './support/auth.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function attempt(url: string, username: string, password: string, address?: string) {
  const res = await postSignIn(url, { username, password }, address ? { 'x-forwarded-for': address } : {});
  const body = (await res.json()) as { error?: { message: string; retryAfterSeconds?: number } };
  return { status: res.status, message: body.error?.message ?? '', retryAfter: res.headers.get('retry-after') };
}

// Repeated bad passwords slow down and then lock the account for a while, saying so; a good password
// works once the lock ends. Thresholds are small here; the defaults are 3 failures before waits (1 s,
// doubling) and 10 before a 15 minute lock.
describe.each(DATABASES)('sign-in throttling on %s', (_name, create) => {
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  const url = () => env.cp.url;
  beforeAll(async () => {
    db = await create();
    env = await startTestControlPlane({
      ...db.options,
      signInThrottle: { slowAfter: 2, delayMs: 800, maxDelayMs: 800, lockAfter: 4, lockMs: 2000, windowMs: 60_000, addressFactor: 3 },
    });
    await createUser(url(), 'target', 'viewer');
    await createUser(url(), 'bystander', 'viewer');
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('slows down repeated bad passwords for one account, then locks it, then lets the right password in after the lock', async () => {
    const from = '198.51.100.7';
    expect(await attempt(url(), 'target', 'wrong-1', from)).toMatchObject({ status: 401, message: 'wrong username or password' });
    expect((await attempt(url(), 'target', 'wrong-2', from)).status).toBe(401);
    // Two failures: the next try must wait, and is refused unchecked if it does not (even the right password).
    const early = await attempt(url(), 'target', PASSWORD, from);
    expect(early.status).toBe(429);
    expect(early.message).toMatch(/^too many failed sign-ins for this account: wait \d s before trying again$/);
    expect(Number(early.retryAfter)).toBeGreaterThanOrEqual(1);
    await sleep(850);
    expect((await attempt(url(), 'target', 'wrong-3', from)).status).toBe(401);
    await sleep(850);
    expect((await attempt(url(), 'target', 'wrong-4', from)).status).toBe(401);
    // Four failures: locked, and the answer says for how long.
    await sleep(850);
    const locked = await attempt(url(), 'target', PASSWORD, from);
    expect(locked.status).toBe(429);
    expect(locked.message).toMatch(/^too many failed sign-ins for this account: locked for \d s \(until .+\); wait, or ask an admin for a sign-in link$/);
    // Another address does not get past an account's lock.
    expect((await attempt(url(), 'target', PASSWORD, '203.0.113.9')).status).toBe(429);
    await sleep(2100);
    const after = await attempt(url(), 'target', PASSWORD, from);
    expect(after.status).toBe(200);
    // A good sign-in starts the account's count again.
    expect((await attempt(url(), 'target', 'wrong-5', from)).status).toBe(401);
    expect((await attempt(url(), 'target', 'wrong-6', '203.0.113.10')).status).toBe(401);
  });

  it('slows down one address trying many accounts', async () => {
    const from = '192.0.2.44';
    for (let i = 0; i < 6; i++) expect((await attempt(url(), `nobody-${i}`, 'guess', from)).status).toBe(401);
    const next = await attempt(url(), 'bystander', PASSWORD, from);
    expect(next.status).toBe(429);
    expect(next.message).toMatch(/^too many failed sign-ins for your address: wait/);
    // The person whose account it is, elsewhere, is not affected.
    expect((await attempt(url(), 'bystander', PASSWORD, '192.0.2.45')).status).toBe(200);
  });
});
