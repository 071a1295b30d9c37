// What the bench compares. Each target starts on the proxy core and resolves with where to send load
// (port, Host header) and which process to watch for CPU and memory; a target that cannot start throws
// with the reason, and the table says "not available: <reason>".
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, start, waitForPort } from './processes.mjs';
import { proxyConfig } from './nginx-configs.mjs';
import { haproxyConfig } from './haproxy-config.mjs';
import { benchSnapshot, UPSTREAM_SERVICE } from './trellis-snapshot.mjs';
import { startStreamStub } from './stream-stub.mjs';

const READY_TIMEOUT_MS = 15_000;
// The trellis launcher rebuilds its bundle (and may generate the Prisma client) before starting.
const TRELLIS_READY_TIMEOUT_MS = 120_000;

/** GET `path` through a target; resolves with status, headers and body. */
export function get(port, urlPath, host) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: host ? { host } : {}, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
    req.on('error', reject);
  });
}

/** The line of a dead process's output that best says why: an error line, else its last line. */
function reasonFrom(child, fallback) {
  const lines = child.lastLines.map((l) => l.trim());
  return (
    lines.find((l) => /\[ERROR\]|^(\w*Error|error):/.test(l)) ??
    lines.find((l) => /error|cannot|unknown|invalid|failed|refused/i.test(l) && !/^at |new Error\(/.test(l)) ??
    lines.at(-1) ??
    fallback
  );
}

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

/** node:http + an undici Pool and nothing else: the floor under any proxy built like Trellis. */
const nodeFloor = {
  name: 'node-floor',
  label: 'node+undici floor',
  async start({ dir, upstreamPort, core, benchDir }) {
    const port = await freePort();
    const child = start(process.execPath, [path.join(benchDir, 'node-undici-floor-server.mjs'), String(port), String(upstreamPort)], {
      core,
      logFile: path.join(dir, 'node-floor.log'),
    });
    await waitForPort(port, READY_TIMEOUT_MS, child);
    return { child, port, pid: child.pid, notes: ['node:http + undici Pool, no features'] };
  },
};

const trellis = {
  name: 'trellis',
  label: 'Trellis',
  host: UPSTREAM_SERVICE,
  async start({ dir, upstreamPort, core, repoRoot, trellisBin }) {
    // The launcher rebuilds a stale bundle inside the proxy's own process (esbuild's JS API), which would
    // count in the proxy's RSS and warm-up: build it here first.
    const launcher = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');
    if (path.resolve(trellisBin) === launcher) {
      const { ensureBuilt } = await import(pathToFileURL(path.join(repoRoot, 'apps/cli/bin/build.mjs')).href);
      await ensureBuilt({ log: () => {} });
    }
    const own = path.join(dir, 'trellis');
    mkdirSync(own, { recursive: true });
    const snapshot = benchSnapshot({ upstreamPort });
    writeFileSync(path.join(own, 'snapshot.json'), `${JSON.stringify(snapshot, null, 2)}\n`);
    // Connected, as in a mesh: spans are recorded and sent, and the stream client is in memory.
    const stream = await startStreamStub(snapshot);
    const ports = { outbound: await freePort(), inbound: await freePort(), admin: await freePort() };
    let readyLine;
    let resolveReady;
    const failures = { count: 0, first: undefined };
    const ready = new Promise((r) => (resolveReady = r));
    const args = [
      trellisBin,
      'proxy',
      '--control-plane', stream.url,
      '--service', 'bench',
      '--outbound-port', String(ports.outbound),
      '--inbound-port', String(ports.inbound),
      '--admin-port', String(ports.admin),
      '--app-port', String(upstreamPort),
      // Its last-good-snapshot copy goes with the run's other files, not into the checkout.
      '--data-dir', path.join(own, 'data'),
    ]; // prettier-ignore
    const child = start(process.execPath, args, {
      core,
      cwd: repoRoot,
      logFile: path.join(own, 'output.log'),
      onLine: (line) => {
        if (readyLine && /failed|error/i.test(line) && !/^\s+at /.test(line)) {
          failures.count++;
          failures.first ??= line.trim();
        }
        const at = line.indexOf('trellis proxy ready ');
        if (at >= 0 && !readyLine) {
          readyLine = line.slice(at + 'trellis proxy ready '.length);
          resolveReady();
        }
      },
    });
    let timer;
    const outcome = await Promise.race([
      ready.then(() => 'ready'),
      child.exited.then(({ code, signal }) => `exited (${signal ?? `code ${code}`})`),
      new Promise((r) => (timer = setTimeout(() => r('timeout'), TRELLIS_READY_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw Object.assign(new Error(`no "trellis proxy ready" line within ${TRELLIS_READY_TIMEOUT_MS / 1000} s`), { child });
    if (outcome !== 'ready') throw Object.assign(new Error(`${outcome}: ${reasonFrom(child, 'no output')}`), { child });
    try {
      const info = JSON.parse(readyLine);
      // Trust the proxy's own report of where it listens, whatever it calls the keys.
      const pick = (...keys) => keys.map((k) => info[k] ?? info.ports?.[k]).find((v) => typeof v === 'number');
      ports.outbound = pick('outbound', 'outboundPort') ?? ports.outbound;
      ports.admin = pick('admin', 'adminPort') ?? ports.admin;
    } catch {
      /* not JSON: keep the ports we asked for */
    }
    await waitForPort(ports.outbound, READY_TIMEOUT_MS, child);
    // Listening is not ready: /ready turns 200 once the snapshot from the stream is applied.
    const until = Date.now() + READY_TIMEOUT_MS;
    while ((await get(ports.admin, '/ready').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > until) throw Object.assign(new Error(`/ready not 200 within ${READY_TIMEOUT_MS / 1000} s (snapshot not applied?)`), { child });
      await new Promise((r) => setTimeout(r, 100));
    }
    return { child, port: ports.outbound, adminPort: ports.admin, pid: child.pid, failures, stream, notes: [] };
  },

  /** Confirms the features the row claims are really on: trace context added, metrics counting. */
  async verify({ port, adminPort }) {
    const notes = [];
    const seen = await get(port, '/_bench/headers', UPSTREAM_SERVICE);
    const traceparent = /traceparent=(\S+)/.exec(seen.body)?.[1];
    notes.push(traceparent ? 'traceparent added' : 'NO traceparent reached the upstream');
    const ready = await get(adminPort, '/ready').catch(() => undefined);
    if (ready && ready.status !== 200) notes.push(`/ready ${ready.status}`);
    return notes;
  },

  /** After the run: what the proxy's own metrics counted, and whether it logged failures. */
  async afterRun({ adminPort, failures, stream }) {
    const notes = [];
    if (stream) {
      const c = stream.counts;
      notes.push(`stream: snapshot acked ${c.acks}x, ${c.metricReports} metric reports, ${c.spans} spans in ${c.spanMessages} batches`);
      if (c.nacks.length) notes.push(`snapshot REFUSED: ${c.nacks[0]}`);
      stream.close();
    }
    const metrics = await get(adminPort, '/metrics').catch((err) => ({ status: 0, body: String(err) }));
    if (metrics.status !== 200) {
      notes.push(`/metrics ${metrics.status || 'unreachable'}`);
    } else {
      let counted = 0;
      for (const line of metrics.body.split('\n')) {
        if (line.startsWith('trellis_requests_total')) counted += Number(line.split(' ').at(-1)) || 0;
      }
      notes.push(counted > 0 ? `metrics counted ${counted} requests` : 'metrics: trellis_requests_total missing');
    }
    if (failures.count) {
      notes.push(`proxy logged ${failures.count} failure line(s), first: "${failures.first.slice(0, 120)}" (--keep keeps the log)`);
    }
    return notes;
  },
};

/** Every target, in the order they run; `direct` is the baseline for "added" latency. */
export const TARGETS = [direct, nginx, haproxy, nodeHttpProxy, nodeFloor, trellis];
