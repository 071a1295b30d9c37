import { Pool } from 'undici';

const PATHS = ['/', '/', '/', '/product/1', '/product/2', '/cart'];

/** Sends `rps` requests per second for the frontend to `target` (the load generator's outbound listener) until stopped. */
export function startTraffic(target: string, rps: number): { stop(): Promise<void>; sent(): number } {
  const pool = new Pool(target, { connections: 8 });
  let sent = 0;
  let stopped = false;
  const intervalMs = 100;
  let carry = 0;
  const timer = setInterval(() => {
    if (stopped) return;
    carry += (rps * intervalMs) / 1000;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      sent++;
      const path = PATHS[Math.floor(Math.random() * PATHS.length)] ?? '/';
      pool
        .request({ method: 'GET', path, headers: { host: 'frontend' }, headersTimeout: 10_000, bodyTimeout: 10_000 })
        .then((r) => r.body.dump())
        .catch(() => {});
    }
  }, intervalMs);
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await pool.close().catch(() => {});
    },
  };
}
