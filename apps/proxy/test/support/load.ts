import { Agent, request } from 'undici';

/** Keep-alive connections for the test's own traffic, like a real app's client would have. */
const agent = new Agent({ connections: 128, keepAliveTimeout: 10_000 });

export interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

export interface SendOptions {
  host?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request through a proxy listener; the Host header names the destination service. */
export async function send(base: string, options: SendOptions = {}): Promise<Sent> {
  const started = performance.now();
  const res = await request(`${base}${options.path ?? '/'}`, {
    dispatcher: agent,
    method: (options.method ?? 'GET') as 'GET',
    headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
    body: options.body ?? null,
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, ms: performance.now() - started };
}

/** `count` requests, `concurrency` at a time; resolves with every answer, in the order they were sent. */
export async function sendMany(base: string, count: number, concurrency: number, options: SendOptions | ((i: number) => SendOptions) = {}): Promise<Sent[]> {
  const results: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await send(base, typeof options === 'function' ? options(i) : options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/**
 * Offers `rps` requests per second for `durationMs` (or until `until` settles), regardless of how fast
 * answers come (open loop, like real callers); resolves with every answer and the time the sending took.
 */
export async function sendAtRate(
  base: string,
  rps: number,
  durationMs: number,
  options: SendOptions = {},
  until?: Promise<unknown>,
): Promise<{ results: Sent[]; elapsedMs: number }> {
  const results: Promise<Sent>[] = [];
  const total = Math.round((rps * durationMs) / 1000);
  const started = performance.now();
  const tickMs = 10;
  let stopped = false;
  void until?.finally(() => (stopped = true)).catch(() => undefined);
  while (results.length < total && !stopped) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rps) / 1000) + 1);
    while (results.length < due) results.push(send(base, options));
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const elapsedMs = performance.now() - started;
  return { results: await Promise.all(results), elapsedMs };
}

/** Counts answers by a key (a status, a body). */
export function countBy<T>(items: readonly T[], key: (item: T) => string | number): Map<string | number, number> {
  const out = new Map<string | number, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}
