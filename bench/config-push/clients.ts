// One shard of the config-push bench's simulated proxies, in a child process of run.ts (so that at
// 10,000 proxies the clients' own zod parsing is spread over several processes instead of queueing in
// the bench's one event loop). Talks to run.ts over the IPC channel:
//   in:  init {url, first, count, services, tokens, perSecond: how fast to start them}, round {round, target}, stop
//   out: progress {connected, initial}, ready, armed {round} (it now waits for the round's change), result {round, at}, where `at` holds, per proxy of the
//        shard, the wall-clock time (performance.timeOrigin + performance.now(), comparable across the
//        machine's processes) at which its client applied the round's snapshot (it ACKs right then).
import { SnapshotMemo, StreamClient, tokenCredentials } from '@trellis/stream-client';
import { snapshotSchema, type Snapshot } from '@trellis/shared';

export type ShardIn =
  | { type: 'init'; url: string; first: number; count: number; services: string[]; tokens: Record<string, string>; perSecond: number }
  | { type: 'round'; round: number; target: number }
  | { type: 'stop' };
export type ShardOut =
  | { type: 'progress'; connected: number; initial: number }
  | { type: 'ready' }
  | { type: 'armed'; round: number }
  | { type: 'result'; round: number; at: (number | null)[]; parseMs: number };

const now = () => performance.timeOrigin + performance.now();
const send = (m: ShardOut) => process.send?.(m);
const clients: StreamClient[] = [];
// The proxies of one service are sent byte-identical messages: the shard validates each once (snapshot-memo.ts).
// Each real proxy parses its own on its own machine; the bench prints what one parse costs.
const memo = new SnapshotMemo();
let target = 0;
let at: number[] = [];

/** The retry attempts of the route to `auth`: what each round changes. */
function attemptsOf(snapshot: Snapshot): number {
  const auth = snapshot.outbound.services.find((s) => s.name === 'auth');
  return auth?.routes[auth.routes.length - 1]?.policies.retry?.attempts ?? 0;
}

async function init(m: Extract<ShardIn, { type: 'init' }>): Promise<void> {
  at = new Array<number>(m.count).fill(NaN);
  let initial = 0;
  const started = performance.now();
  const progress = setInterval(() => send({ type: 'progress', connected: clients.filter((c) => c.state === 'connected').length, initial }), 1000);
  for (let k = 0; k < m.count; k++) {
    const i = m.first + k;
    const service = m.services[i % m.services.length] ?? 'auth';
    const client = new StreamClient({
      controlPlane: m.url,
      identity: { service, instance: `${service}-${i}`, proxyVersion: 'bench', endpoint: { address: '127.0.0.1', port: 20000 + (i % 40000) } },
      credentials: tokenCredentials(m.tokens[service] ?? ''),
      memo,
      apply: (snapshot: Snapshot) => {
        if (target > 0 && Number.isNaN(at[k] ?? 0) && attemptsOf(snapshot) === target) at[k] = now();
      },
    });
    client.once('applied', () => initial++);
    clients.push(client);
    await client.start();
    // Paced: proxy k of the shard starts k / perSecond seconds in.
    const wait = started + ((k + 1) * 1000) / m.perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
  while (initial < m.count) await new Promise((r) => setTimeout(r, 100));
  clearInterval(progress);
  send({ type: 'progress', connected: m.count, initial });
  send({ type: 'ready' });
}

/**
 * What one proxy spends parsing and validating the round's snapshot message (the median of 15, ms): the
 * work the memo saves the shard, which each proxy of a mesh does on its own machine.
 */
function parseCostMs(snapshot: Snapshot | undefined): number {
  if (!snapshot) return NaN;
  const text = JSON.stringify({ type: 'snapshot', snapshot });
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    snapshotSchema.parse((JSON.parse(text) as { snapshot: unknown }).snapshot);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[7] ?? NaN;
}

async function round(m: Extract<ShardIn, { type: 'round' }>): Promise<void> {
  at.fill(NaN);
  target = m.target;
  send({ type: 'armed', round: m.round });
  const deadline = performance.now() + 30_000;
  while (at.some((v) => Number.isNaN(v)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const result = at.map((v) => (Number.isNaN(v) ? null : v));
  send({ type: 'result', round: m.round, at: result, parseMs: parseCostMs(clients[0]?.snapshot) });
}

process.on('message', (m: ShardIn) => {
  if (m.type === 'init') void init(m);
  else if (m.type === 'round') void round(m);
  else void Promise.all(clients.map((c) => c.close())).then(() => process.exit(0));
});
