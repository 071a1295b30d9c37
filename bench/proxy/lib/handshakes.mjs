// Handshakes per second one proxy can do: bench/proxy/handshake-client.mjs (on the load core) opens new
// mutual-TLS connections to a proxy's STRICT inbound with a certificate from the stand-in's CA, first
// with full handshakes (no session offered), then resuming TLS 1.3 sessions from the proxy's tickets.
// The proxy's CPU comes from /proc, and its own counter (trellis_tls_handshakes_total, inbound) must
// agree with the client's count. Then the same against bench/proxy/tls-floor-server.mjs (bare node:tls,
// same settings and certificate shape, on the same core): what part of the cost is Node's and OpenSSL's.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, runToEnd, start, stop, waitForPort } from './processes.mjs';
import { workloadId } from './mesh-ca.mjs';
import { counterSum, metricsOf } from './trellis-proxy.mjs';

/** In flight at once: enough to keep a pinned proxy busy while the client waits on it. */
export const HANDSHAKE_CONCURRENCY = 8;
const KINDS = ['full', 'resumed'];

async function inboundCounts(proxy, notes) {
  if (!proxy.ports.admin) return undefined;
  const text = await metricsOf(proxy, notes);
  if (text === undefined) return undefined;
  const of = (result) => counterSum(text, 'trellis_tls_handshakes_total', { side: 'inbound', result });
  return { ok: of('ok'), failed: of('failed') };
}

function writeFiles(dir, { key, cert }, rootPem) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 });
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  writeFileSync(path.join(dir, 'ca.pem'), rootPem);
  return dir;
}

/** Both kinds of handshake against `server` ({name, pid, ports: {inbound, admin?}}), `duration` seconds each. */
async function measureServer(server, { clientFiles, expected, benchDir, loadCore, duration, observe, progress }) {
  const results = [];
  for (const kind of KINDS) {
    const notes = [];
    progress?.(`handshakes (${kind}): ${HANDSHAKE_CONCURRENCY} at a time against ${server.name} for ${duration}s`);
    const before = await inboundCounts(server, notes);
    const args = [
      path.join(benchDir, 'handshake-client.mjs'),
      '--port', String(server.ports.inbound),
      '--files', clientFiles,
      '--expect', expected,
      '--seconds', String(duration),
      '--concurrency', String(HANDSHAKE_CONCURRENCY),
      ...(kind === 'resumed' ? ['--resume'] : []),
    ]; // prettier-ignore
    const run = await observe([server.pid], () => runToEnd(process.execPath, args, { core: loadCore, timeoutMs: (duration + 15) * 1000 }));
    const after = await inboundCounts(server, notes);
    const line = run.result.output.trim().split('\n').at(-1) ?? '';
    let client;
    try {
      client = JSON.parse(line);
    } catch {
      results.push({ server: server.name, kind, error: `the handshake client failed: ${line || `exit ${run.result.code}`}` });
      continue;
    }
    const perSecond = client.handshakes / client.seconds;
    const result = {
      server: server.name,
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
    if (before && after) result.counted = { ok: after.ok - before.ok, failed: after.failed - before.failed };
    results.push(result);
    progress?.(
      `handshakes (${kind}):   ${Math.round(perSecond).toLocaleString('en-US')}/s, ${Math.round(result.resumedShare * 100)} % resumed, ${server.name} ${Math.round(result.proxyCores * 100)} % of a core` +
        (run.cores ? `, load core ${Math.round(run.cores.load * 100)} % busy` : ''),
    );
  }
  return results;
}

/**
 * Measures `proxy` (a running proxy of the bench whose inbound is STRICT and whose certificate says
 * `expected`), then the node:tls floor on `peerCore`. `observe(pids, work)` is run.mjs's watcher.
 */
export async function measureHandshakes(options) {
  const { dir, benchDir, peerCore, proxy, ca, expected } = options;
  const clientFiles = writeFiles(path.join(dir, 'handshake-client'), await ca.workloadLeaf(workloadId('handshake-client')), ca.rootPem);
  const results = await measureServer(proxy, { ...options, clientFiles });
  // The floor serves a certificate of the same shape for the same identity, so the client checks the same.
  const floorFiles = writeFiles(path.join(dir, 'tls-floor'), await ca.workloadLeaf(expected), ca.rootPem);
  const port = await freePort();
  const child = start(process.execPath, [path.join(benchDir, 'tls-floor-server.mjs'), String(port), floorFiles], {
    core: peerCore,
    logFile: path.join(dir, 'tls-floor.log'),
  });
  try {
    await waitForPort(port, 10_000, child);
    results.push(...(await measureServer({ name: 'node:tls floor', pid: child.pid, ports: { inbound: port } }, { ...options, clientFiles })));
  } catch (err) {
    results.push({ server: 'node:tls floor', kind: 'full', error: err.message });
  } finally {
    await stop(child);
  }
  return results;
}
