// The node+undici floor rows: one hop (what issue 15's data-plane goals are measured against), and two
// hops chained, in the clear and with mutual TLS between them, the same shape as the Trellis two-hop
// rows (caller on the proxy core, callee on the peer core, the app behind the callee). They show what
// Node's HTTP and TLS cost on this machine before any proxy feature: issue 9's two-hop goals are read
// against them.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createMeshCa, workloadId } from './mesh-ca.mjs';
import { freePort, start, stop, waitForPort } from './processes.mjs';

const READY_TIMEOUT_MS = 15_000;
const SERVER = 'node-undici-floor-server.mjs';

async function startFloor({ dir, benchDir, name, port, upstreamPort, core, tlsFile, proxyHeaders, mesh, nodeFlags = [] }) {
  const args = [String(port), String(upstreamPort), ...(tlsFile ? [tlsFile] : []), ...(proxyHeaders ? ['--proxy-headers'] : []), ...(mesh ? ['--mesh', mesh] : [])];
  const child = start(process.execPath, [...nodeFlags, path.join(benchDir, SERVER), ...args], {
    core,
    logFile: path.join(dir, `${name}.log`),
  });
  await waitForPort(port, READY_TIMEOUT_MS, child);
  return child;
}

/** Key, certificate and CA of one workload identity, written as PEM files; returns their paths. */
async function writeLeaf(dir, ca, name) {
  const leaf = await ca.workloadLeaf(workloadId(name));
  const files = { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.crt`), ca: path.join(dir, 'floor-root.crt') };
  writeFileSync(files.key, leaf.key, { mode: 0o600 });
  writeFileSync(files.cert, leaf.cert);
  writeFileSync(files.ca, ca.rootPem);
  return files;
}

/**
 * node:http + an undici Pool and nothing else: the floor under any proxy built like Trellis. With
 * `ctx.proxyHeaders`, plus the header work of a correct proxy with tracing (the server's --proxy-headers).
 */
export const nodeFloor = {
  name: 'node-floor',
  label: 'node+undici floor',
  async start(ctx) {
    const port = await freePort();
    const child = await startFloor({ ...ctx, name: 'node-floor', port, upstreamPort: ctx.upstreamPort, core: ctx.core });
    return { child, port, pid: child.pid, notes: ['node:http + undici Pool, no features'] };
  },
};

function floorChain(name, label, mtls) {
  return {
    name,
    label,
    async start(ctx) {
      const started = [];
      try {
        let callerTls;
        let calleeTls;
        if (mtls) {
          const ca = await createMeshCa();
          const callee = await writeLeaf(ctx.dir, ca, 'floor-callee');
          const caller = await writeLeaf(ctx.dir, ca, 'floor-caller');
          calleeTls = path.join(ctx.dir, `${name}-callee-tls.json`);
          callerTls = path.join(ctx.dir, `${name}-caller-tls.json`);
          writeFileSync(calleeTls, JSON.stringify({ serve: callee }));
          writeFileSync(callerTls, JSON.stringify({ upstream: caller }));
        }
        const calleePort = await freePort();
        started.push(await startFloor({ ...ctx, name: `${name}-callee`, port: calleePort, upstreamPort: ctx.upstreamPort, core: ctx.peerCore, tlsFile: calleeTls }));
        const port = await freePort();
        started.push(await startFloor({ ...ctx, name: `${name}-caller`, port, upstreamPort: calleePort, core: ctx.core, tlsFile: callerTls }));
        return {
          child: started[1],
          children: started,
          pid: started[1].pid,
          pids: started.map((c) => c.pid),
          port,
          notes: [
            `caller on core ${ctx.core ?? '-'}, callee on core ${ctx.peerCore ?? '-'}; CPU: both; RSS: the larger`,
            mtls ? 'TLS 1.3 between them, client certificate required (chain checked, SPIFFE ID not)' : 'plain HTTP between them',
          ],
        };
      } catch (err) {
        for (const child of started) await stop(child);
        throw err;
      }
    },
  };
}

/** Two floors chained, as the Trellis two-hop rows are (issue 9's goals are read against these). */
export const floor2hop = floorChain('floor-2hop', 'node+undici floor 2 hops, plain', false);
export const floor2hopMtls = floorChain('floor-2hop-mtls', 'node+undici floor 2 hops, mTLS', true);
