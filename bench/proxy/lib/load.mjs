// The two load generators: wrk for max throughput (closed loop, keep-alive), h2load for latency at a
// fixed rate. Both are C programs, so on the shared load core they cost little next to the upstream.
import { readFileSync, rmSync } from 'node:fs';
import { runToEnd } from './processes.mjs';

/** Runs wrk and returns requests/s, totals and errors. */
export async function runWrk({ url, host, connections, seconds, core }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s'];
  if (host) args.push('-H', `Host: ${host}`);
  args.push(url);
  const result = await runToEnd('wrk', args, { core, timeoutMs: (seconds + 15) * 1000 });
  if (result.timedOut) throw new Error(`wrk did not finish within ${seconds + 15} s`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(result.output);
  if (!rps) throw new Error(`wrk failed: ${result.output.trim().split('\n').at(-1) ?? `exit ${result.code}`}`);
  const total = /(\d+) requests in/.exec(result.output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(result.output);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.output);
  const transfer = /Transfer\/sec:\s+([\d.]+)([KMG]?B)/.exec(result.output);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: total ? Number(total[1]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    transferPerSecond: transfer ? `${transfer[1]}${transfer[2]}` : undefined,
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Runs h2load at a fixed total `rate` for `seconds` plus `discardSeconds` (dropped from the
 * percentiles). `clients` keep-alive HTTP/1.1 connections, each at rate/clients, opened 1 ms apart so
 * their send timers are staggered rather than firing as one burst.
 */
export async function runFixedRate({ url, host, rate, seconds, discardSeconds, clients, core, logFile, onStart }) {
  const perClient = rate / clients;
  const total = Math.round(rate * (seconds + discardSeconds));
  const args = ['--h1', '-t1', `-c${clients}`, '-r1', '--rate-period=1ms', `--rps=${perClient}`, `-n${total}`, `--log-file=${logFile}`];
  if (host) args.push('-H', `:authority: ${host}`);
  args.push(url);
  rmSync(logFile, { force: true }); // h2load appends
  onStart?.();
  const budget = (seconds + discardSeconds) * 2 + 15;
  const result = await runToEnd('h2load', args, { core, timeoutMs: budget * 1000 });
  if (result.timedOut) throw new Error(`h2load did not finish within ${budget} s`);
  const summary = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
    result.output,
  );
  if (!summary) throw new Error(`h2load failed: ${result.output.trim().split('\n').at(-1) ?? `exit ${result.code}`}`);
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(result.output);

  // Log rows: start time (µs since epoch), status, µs until the end of the response.
  const rows = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t').map(Number));
  const firstStart = rows.reduce((min, r) => Math.min(min, r[0]), Infinity);
  const measured = rows.filter((r) => r[0] >= firstStart + discardSeconds * 1e6);
  const latencies = measured.map((r) => r[2]).sort((a, b) => a - b);
  return {
    requests: Number(summary[3]),
    succeeded: Number(summary[4]),
    failed: Number(summary[5]) + Number(summary[6]) + Number(summary[7]),
    non2xx: rows.filter((r) => r[1] < 200 || r[1] >= 300).length,
    achievedRate: finished ? Number(finished[3]) : undefined,
    measuredRequests: latencies.length,
    p50Ms: percentile(latencies, 50) / 1000,
    p90Ms: percentile(latencies, 90) / 1000,
    p99Ms: percentile(latencies, 99) / 1000,
    p999Ms: percentile(latencies, 99.9) / 1000,
    maxMs: (latencies.at(-1) ?? NaN) / 1000,
  };
}
