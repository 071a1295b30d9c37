// The Trellis rows: one hop (the caller's outbound straight to the app), two hops in the clear (caller
// sidecar -> callee sidecar's DISABLE inbound -> app) and two hops with mutual TLS between the proxies
// (STRICT inbound, the endpoint carrying the callee's SPIFFE ID). Every proxy is joined to a stand-in
// control plane (lib/stream-stub.mjs) with a join token, holds a certificate from its CA, records spans
// at sampling 1.0 and reports metrics, as in a mesh. "trellis-2w" is the one-hop row with --workers 2,
// pinned to two cores (ctx.multiCore).

import { stop } from './processes.mjs';
import { workloadId } from './mesh-ca.mjs';
import { startStreamStub } from './stream-stub.mjs';
import { CALLER_SERVICE, UPSTREAM_SERVICE, benchSnapshot, calleeSnapshot, callerSnapshot } from './trellis-snapshot.mjs';
import { counterSum, get, metricsOf, startTrellisProxy } from './trellis-proxy.mjs';
import { measureHandshakes } from './handshakes.mjs';

const HANDSHAKES = 'trellis_tls_handshakes_total';

/** Failed handshakes by reason ("plaintext 1, other 2"), from trellis_tls_handshakes_total; '' when none. */
function failures(metricsText, side) {
  const out = [];
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${HANDSHAKES}{`) || !line.includes(`side="${side}"`) || !line.includes('result="failed"')) continue;
    out.push(`${/reason="([^"]*)"/.exec(line)?.[1] ?? '?'} ${line.split(' ').at(-1)}`);
  }
  return out.length ? `failed: ${out.join(', ')}` : '';
}

const GC = 'trellis_proxy_nodejs_gc_duration_seconds';

/**
 * The proxy's garbage-collection pauses over the whole row (warm-up, max throughput and the fixed rate):
 * a row that spends more CPU per request than its twin may be collecting more.
 */
function gcPauses(metricsText) {
  const kinds = ['minor', 'major', 'incremental'].map((kind) => {
    const n = counterSum(metricsText, `${GC}_count`, { kind });
    const seconds = counterSum(metricsText, `${GC}_sum`, { kind });
    return `${kind} ${n} (${(seconds * 1000).toFixed(0)} ms)`;
  });
  return `GC pauses: ${kinds.join(', ')}`;
}

/** Starts the proxies of one row (callee first: the caller's snapshot names its port). */
async function startChain(ctx, { name, hops, mtls, workers }) {
  const stream = await startStreamStub();
  const started = [];
  const common = { dir: ctx.dir, stream, repoRoot: ctx.repoRoot, trellisBin: ctx.trellisBin };
  try {
    let callee;
    if (hops === 2) {
      stream.snapshots.set(UPSTREAM_SERVICE, calleeSnapshot({ mtls: mtls ? 'STRICT' : 'DISABLE' }));
      callee = await startTrellisProxy({ ...common, name: `${name}-callee`, service: UPSTREAM_SERVICE, appPort: ctx.upstreamPort, core: ctx.peerCore });
      started.push(callee);
      const endpoint = { address: '127.0.0.1', port: callee.ports.inbound, ...(mtls ? { identity: workloadId(UPSTREAM_SERVICE) } : {}) };
      stream.snapshots.set(CALLER_SERVICE, callerSnapshot({ endpoint }));
    } else {
      stream.snapshots.set(CALLER_SERVICE, benchSnapshot({ upstreamPort: ctx.upstreamPort }));
    }
    // One hop keeps the app port it always had (an inbound listener nobody calls); a two-hop caller only calls out.
    const core = workers ? ctx.multiCore : ctx.core;
    const caller = await startTrellisProxy({ ...common, name, service: CALLER_SERVICE, appPort: hops === 1 ? ctx.upstreamPort : undefined, core, workers });
    started.push(caller);
    const proxies = callee ? [caller, callee] : [caller];
    const notes = [];
    if (workers) {
      const shared = ctx.loadCore !== undefined && String(core).split(',').includes(String(ctx.loadCore));
      notes.push(`${workers} workers + primary on cores ${core ?? '-'}${shared ? `, sharing core ${ctx.loadCore} with wrk/h2load and the upstream` : ''}; CPU and RSS: all processes`);
    }
    if (callee) notes.push(`caller on core ${ctx.core ?? '-'}, callee on core ${ctx.peerCore ?? '-'}; CPU: both proxies; RSS: the larger`);
    return {
      child: caller.child,
      children: proxies.map((p) => p.child),
      pid: caller.pid,
      pids: proxies.map((p) => p.pid),
      port: caller.ports.outbound,
      caller,
      callee,
      calleeMode: callee ? (mtls ? 'STRICT' : 'DISABLE') : undefined,
      stream,
      notes,
      cleanup: () => stream.close(),
    };
  } catch (err) {
    for (const p of started) await stop(p.child);
    if (err.child) await stop(err.child);
    stream.close();
    throw err;
  }
}

/** Confirms the features the row claims are really on: trace context added; for two hops, the inbound mode. */
async function verify({ port, caller, callee, calleeMode }) {
  const notes = [];
  const seen = await get(port, '/_bench/headers', UPSTREAM_SERVICE);
  const traceparent = /traceparent=(\S+)/.exec(seen.body)?.[1];
  notes.push(traceparent ? 'traceparent added' : 'NO traceparent reached the upstream');
  for (const p of [caller, callee].filter(Boolean)) {
    const ready = await get(p.ports.admin, '/ready').catch(() => undefined);
    if (ready && ready.status !== 200) notes.push(`${p.name} /ready ${ready.status}`);
  }
  if (callee) {
    // A plain request straight to the callee's inbound: refused under STRICT (counted as a "plaintext"
    // handshake failure), served under DISABLE.
    const plain = await get(callee.ports.inbound, '/', UPSTREAM_SERVICE).catch((err) => ({ status: 0, body: err.message }));
    notes.push(`callee inbound ${calleeMode}: a plain request straight to it got ${plain.status || plain.body}`);
  }
  return notes;
}

/** After the run: what the stand-in and the proxies' own metrics counted, and whether they logged failures. */
async function afterRun({ stream, caller, callee }) {
  const notes = [];
  const c = stream.counts;
  notes.push(
    `stand-in: ${c.certificates} certificates issued, snapshots acked ${c.acks}x, ${c.metricReports} metric reports, ${c.spans} spans in ${c.spanMessages} batches`,
  );
  if (c.nacks.length) notes.push(`snapshot REFUSED: ${c.nacks[0]}`);
  if (c.refused.length) notes.push(`stand-in refused a proxy: ${c.refused[0]}`);
  for (const p of [caller, callee].filter(Boolean)) {
    const text = await metricsOf(p, notes);
    if (text !== undefined) {
      const counted = counterSum(text, 'trellis_requests_total');
      // A callee counts only callers from outside the mesh: requests from a proxy over mTLS are counted
      // once, by the caller.
      if (counted > 0) notes.push(`${p.name} metrics counted ${counted} requests`);
      else if (p !== callee) notes.push(`${p.name} metrics: trellis_requests_total missing`);
      notes.push(`${p.name} ${gcPauses(text)}`);
      const side = p === callee ? 'inbound' : 'outbound';
      const ok = counterSum(text, HANDSHAKES, { side, result: 'ok' });
      const failed = failures(text, side);
      if (callee && (ok || failed)) notes.push(`${p.name} ${side} mTLS handshakes: ${ok} ok, ${failed || 'none failed'}`);
    }
    if (p.failures.count) {
      notes.push(`${p.name} logged ${p.failures.count} failure line(s), first: "${p.failures.first.slice(0, 120)}" (--keep keeps the log)`);
    }
  }
  return notes;
}

const row = (name, label, chain, extra = {}) => ({
  name,
  label,
  host: UPSTREAM_SERVICE,
  trellis: true,
  start: (ctx) => startChain(ctx, { name, ...chain }),
  verify,
  afterRun,
  ...extra,
});

/** Trellis one hop: what issue 3's goals are measured on. */
export const trellis = row('trellis', 'Trellis', { hops: 1, mtls: false });
/** The same with --workers 2 (issue 15: max req/s >= 1.7x one worker). */
export const trellis2w = row('trellis-2w', 'Trellis, 2 workers', { hops: 1, mtls: false, workers: 2 });
export const trellis2hop = row('trellis-2hop', 'Trellis 2 hops, plain', { hops: 2, mtls: false });
export const trellis2hopMtls = row(
  'trellis-2hop-mtls',
  'Trellis 2 hops, mTLS',
  { hops: 2, mtls: true },
  {
    /** Full and resumed TLS handshakes per second against the callee's STRICT inbound. */
    handshakes: (running, ctx) => measureHandshakes({ ...ctx, proxy: running.callee, ca: running.stream.ca, expected: workloadId(UPSTREAM_SERVICE) }),
  },
);
