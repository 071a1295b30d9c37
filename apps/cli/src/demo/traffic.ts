import { Pool } from 'undici';

const PATHS = ['/', '/', '/', '/product/1', '/product/2', '/cart'];

/**
 * Sends `rps` requests per second for the frontend to `target` (the load generator's outbound listener)
 * until stopped; and, with `occasional`, one request to that service every `everyMs` (the first after 5 s).
 */
export function startTraffic(target: string, rps: number, occasional?: { host: string; everyMs: number }): { stop(): Promise<void>; sent(): number } {
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
  const callOccasional = () => {
    if (stopped || !occasional) return;
    sent++;
    pool
      .request({ method: 'GET', path: '/thumbnail/1', headers: { host: occasional.host }, headersTimeout: 30_000, bodyTimeout: 10_000 })
      .then((r) => r.body.dump())
      .catch(() => {});
  };
  const occasionalTimer = occasional ? setInterval(callOccasional, occasional.everyMs) : undefined;
  // The first soon, once the load generator's sidecar has its first snapshot.
  const firstTimer = occasional ? setTimeout(callOccasional, 5000) : undefined;
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(occasionalTimer);
      clearTimeout(firstTimer);
      await pool.close().catch(() => {});
    },
  };
}
