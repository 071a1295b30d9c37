// Handshakes per second one proxy can do: bench/proxy/handshake-client.mjs (on the load core) opens new
// mutual-TLS connections to a proxy's STRICT inbound with a certificate from the stand-in's CA, first
// with full handshakes (no session offered), then resuming TLS 1.3 sessions from the proxy's tickets.
// The proxy's CPU comes from /proc, and its own counter (trellis_tls_handshakes_total, inbound) must
// agree with the client's count.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from './processes.mjs';
import { workloadId } from './mesh-ca.mjs';
import { counterSum, metricsOf } from './trellis-proxy.mjs';

/** In flight at once: enough to keep a pinned proxy busy while the client waits on it. */
export const HANDSHAKE_CONCURRENCY = 8;

async function inboundCounts(proxy, notes) {
  const text = await metricsOf(proxy, notes);
  if (text === undefined) return undefined;
  const of = (result) => counterSum(text, 'trellis_tls_handshakes_total', { side: 'inbound', result });
  return { ok: of('ok'), failed: of('failed') };
}

/**
 * Measures both kinds for `duration` seconds each against `proxy` (a running proxy of the bench whose
 * inbound is STRICT and whose certificate says `expected`). `observe(pids, work)` is run.mjs's watcher.
 */
export async function measureHandshakes({ dir, benchDir, loadCore, duration, observe, proxy, ca, expected, progress }) {
  const files = path.join(dir, 'handshake-client');
  mkdirSync(files, { recursive: true });
  const leaf = await ca.workloadLeaf(workloadId('handshake-client'));
  writeFileSync(path.join(files, 'key.pem'), leaf.key, { mode: 0o600 });
  writeFileSync(path.join(files, 'cert.pem'), leaf.cert);
  writeFileSync(path.join(files, 'ca.pem'), ca.rootPem);
  const results = [];
  for (const kind of ['full', 'resumed']) {
    const notes = [];
    progress?.(`handshakes (${kind}): ${HANDSHAKE_CONCURRENCY} at a time against ${proxy.name}'s STRICT inbound for ${duration}s`);
    const before = await inboundCounts(proxy, notes);
    const args = [
      path.join(benchDir, 'handshake-client.mjs'),
      '--port', String(proxy.ports.inbound),
      '--files', files,
      '--expect', expected,
      '--seconds', String(duration),
      '--concurrency', String(HANDSHAKE_CONCURRENCY),
      ...(kind === 'resumed' ? ['--resume'] : []),
    ]; // prettier-ignore
    const run = await observe([proxy.pid], () => runToEnd(process.execPath, args, { core: loadCore, timeoutMs: (duration + 15) * 1000 }));
    const after = await inboundCounts(proxy, notes);
    const line = run.result.output.trim().split('\n').at(-1) ?? '';
    let client;
    try {
      client = JSON.parse(line);
    } catch {
      results.push({ kind, error: `the handshake client failed: ${line || `exit ${run.result.code}`}` });
      continue;
    }
    const perSecond = client.handshakes / client.seconds;
    const result = {
      kind,
      handshakes: client.handshakes,
      perSecond,
      resumedShare: client.handshakes ? client.resumed / client.handshakes : 0,
      failed: client.failed,
      firstError: client.firstError,
      proxyCores: run.cpu / run.elapsed,
      cpuMsPerHandshake: client.handshakes ? (run.cpu / client.handshakes) * 1000 : undefined,
      cores: run.cores,
      otherWork: run.otherWork,
      notes,
    };
    if (before && after) result.server = { ok: after.ok - before.ok, failed: after.failed - before.failed };
    results.push(result);
    progress?.(
      `handshakes (${kind}):   ${Math.round(perSecond).toLocaleString('en-US')}/s, ${Math.round(result.resumedShare * 100)} % resumed, proxy ${Math.round(result.proxyCores * 100)} % of a core` +
        (run.cores ? `, load core ${Math.round(run.cores.load * 100)} % busy` : ''),
    );
  }
  return results;
}
