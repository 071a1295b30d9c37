// What the bench compares. Each target starts on the proxy core and resolves with where to send load
// (port, Host header) and which process to watch for CPU and memory; a target that cannot start throws
// with the reason, and the table says "not available: <reason>".
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, start, waitForPort } from './processes.mjs';
import { proxyConfig } from './nginx-configs.mjs';
import { haproxyConfig } from './haproxy-config.mjs';
import { floor2hop, floor2hopMtls, nodeFloor } from './floor-targets.mjs';
import { trellis, trellis2hop, trellis2hopMtls, trellis2w } from './trellis-targets.mjs';

export { get } from './trellis-proxy.mjs';

const READY_TIMEOUT_MS = 15_000;

const direct = {
  name: 'direct',
  label: 'direct (no proxy)',
  async start({ upstreamPort }) {
    return { port: upstreamPort, pid: undefined, notes: [] };
  },
};

const nginx = {
  name: 'nginx',
  label: 'nginx',
  async start({ dir, upstreamPort, core, version }) {
    const own = path.join(dir, 'nginx-proxy');
    mkdirSync(own, { recursive: true });
    const port = await freePort();
    writeFileSync(path.join(own, 'nginx.conf'), proxyConfig({ dir: own, port, upstreamPort }));
    const child = start('nginx', ['-p', own, '-e', path.join(own, 'error.log'), '-c', path.join(own, 'nginx.conf')], {
      core,
      logFile: path.join(own, 'stdout.log'),
    });
    await waitForPort(port, READY_TIMEOUT_MS, child);
    return { child, port, pid: child.pid, notes: [`nginx ${version ?? ''}`.trim(), 'worker_processes 1', 'upstream keepalive 64'] };
  },
};

const haproxy = {
  name: 'haproxy',
  label: 'HAProxy',
  async start({ dir, upstreamPort, core, version }) {
    const own = path.join(dir, 'haproxy');
    mkdirSync(own, { recursive: true });
    const port = await freePort();
    const cfg = path.join(own, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig({ port, upstreamPort }));
    const child = start('haproxy', ['-db', '-f', cfg], { core, logFile: path.join(own, 'output.log') });
    await waitForPort(port, READY_TIMEOUT_MS, child);
    return { child, port, pid: child.pid, notes: [`HAProxy ${version ?? ''}`.trim(), 'nbthread 1', 'http-reuse always'] };
  },
};

const nodeHttpProxy = {
  name: 'node-http-proxy',
  label: 'node-http-proxy',
  async start({ dir, upstreamPort, core, benchDir, version }) {
    const port = await freePort();
    const child = start(process.execPath, [path.join(benchDir, 'node-http-proxy-server.mjs'), String(port), String(upstreamPort)], {
      core,
      logFile: path.join(dir, 'node-http-proxy.log'),
    });
    await waitForPort(port, READY_TIMEOUT_MS, child);
    return { child, port, pid: child.pid, notes: [`http-proxy ${version ?? ''}`.trim(), 'keep-alive agent'] };
  },
};

/** Every target, in the order they run; `direct` is the baseline for "added" latency. */
export const TARGETS = [direct, nginx, haproxy, nodeHttpProxy, nodeFloor, trellis, trellis2w, floor2hop, trellis2hop, floor2hopMtls, trellis2hopMtls];
