import type { ProxyProcess } from './proxy.ts';

/** The sum of the series of a /metrics metric whose labels include `labels` (0 when absent). */
export async function metricValue(proxy: ProxyProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await readMetric(proxy, name, labels)).value;
}

/** Like metricValue, with the proxy's own clock (ms) at the moment it counted. */
async function readMetric(proxy: ProxyProcess, name: string, labels: Record<string, string>): Promise<{ value: number; clockMs: number }> {
  const res = await fetch(`${proxy.admin}/metrics`);
  const clockMs = Number(res.headers.get('x-trellis-clock-ms'));
  const text = await res.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { value: total, clockMs };
}

interface LimiterSample {
  allowed: number;
  limited: number;
  clockMs: number;
}

async function sampleLimiter(proxy: ProxyProcess): Promise<LimiterSample> {
  const [allowed, limited] = await Promise.all([
    readMetric(proxy, 'trellis_rate_limit_decisions_total', { decision: 'allowed' }),
    readMetric(proxy, 'trellis_rate_limit_decisions_total', { decision: 'limited' }),
  ]);
  return { allowed: allowed.value, limited: limited.value, clockMs: allowed.clockMs };
}

/**
 * What the proxies' rate limiters did over a `windowMs` window in which they really were offered at
 * least `minOfferedPerSecond` (allowed + limited): requests per second allowed, and offered. Counted
 * and timed by the proxies themselves, so a busy machine that makes the test's own load generator or
 * clock late does not skew the figure; a window in which the offered load sagged is not used, because
 * no limiter can let through what never arrived. Polls until `timeoutMs`.
 */
export async function limiterRates(
  proxies: readonly ProxyProcess[],
  options: { windowMs: number; minOfferedPerSecond: number; timeoutMs: number },
): Promise<{ allowedPerSecond: number; offeredPerSecond: number }> {
  const history: LimiterSample[][] = [];
  const started = performance.now();
  let best = { allowedPerSecond: NaN, offeredPerSecond: 0 };
  while (performance.now() - started < options.timeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await Promise.all(proxies.map(sampleLimiter));
    history.push(now);
    for (const then of history) {
      const span = Math.min(...now.map((n, i) => n.clockMs - (then[i]?.clockMs ?? n.clockMs)));
      if (span < options.windowMs) continue;
      let allowed = 0;
      let offered = 0;
      now.forEach((n, i) => {
        const t = then[i] ?? n;
        const seconds = (n.clockMs - t.clockMs) / 1000;
        allowed += (n.allowed - t.allowed) / seconds;
        offered += (n.allowed + n.limited - t.allowed - t.limited) / seconds;
      });
      if (offered >= options.minOfferedPerSecond) return { allowedPerSecond: allowed, offeredPerSecond: offered };
      if (offered > best.offeredPerSecond) best = { allowedPerSecond: allowed, offeredPerSecond: offered };
    }
  }
  throw new Error(`the proxies were never offered ${options.minOfferedPerSecond} rps for ${options.windowMs} ms (best: ${JSON.stringify(best)}); the machine is too busy`);
}
