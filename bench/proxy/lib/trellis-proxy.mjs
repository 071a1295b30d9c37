// One `trellis proxy` process of the bench: started pinned, joined to the stand-in control plane with a
// join token, and waited for until it is ready (listening, certificate and snapshot applied). Also what
// the bench reads back from it: its failure log lines and its /metrics counters.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, start, waitForPort } from './processes.mjs';

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
export function reasonFrom(child, fallback) {
  const lines = child.lastLines.map((l) => l.trim());
  return (
    lines.find((l) => /\[ERROR\]|^(\w*Error|error):/.test(l)) ??
    lines.find((l) => /error|cannot|unknown|invalid|failed|refused/i.test(l) && !/^at |new Error\(/.test(l)) ??
    lines.at(-1) ??
    fallback
  );
}

let built;

/**
 * The launcher rebuilds a stale bundle inside the proxy's own process (esbuild's JS API), which would
 * count in the proxy's RSS and warm-up: build it here first, once per run.
 */
function ensureBuilt(repoRoot, trellisBin) {
  const launcher = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');
  if (path.resolve(trellisBin) !== launcher) return Promise.resolve();
  built ??= import(pathToFileURL(path.join(repoRoot, 'apps/cli/bin/build.mjs')).href).then(({ ensureBuilt: build }) => build({ log: () => {} }));
  return built;
}

/**
 * Starts `trellis proxy --service <service>` on `core`, joined to `stream` with a token for its service;
 * `appPort` (optional) gives it an inbound listener in front of that app; `workers` (optional) is --workers. Resolves once /ready is 200,
 * with the child, its ports and a tally of the failure lines it logs afterwards. `nodeArgs` go to node
 * itself, before the launcher (e.g. --cpu-prof, which NODE_OPTIONS does not take); `wrapper` (optional) is a
 * command and its arguments that run node (e.g. valgrind).
 */
export async function startTrellisProxy({ dir, name, service, stream, appPort, core, repoRoot, trellisBin, workers, nodeArgs = [], wrapper = [] }) {
  await ensureBuilt(repoRoot, trellisBin);
  const own = path.join(dir, name);
  mkdirSync(own, { recursive: true });
  const tokenFile = path.join(own, 'token');
  writeFileSync(tokenFile, `${stream.tokenFor(service)}\n`, { mode: 0o600 });
  const ports = { outbound: await freePort(), inbound: await freePort(), admin: await freePort() };
  let readyLine;
  let resolveReady;
  const failures = { count: 0, first: undefined };
  const ready = new Promise((r) => (resolveReady = r));
  const args = [
    ...nodeArgs,
    trellisBin,
    'proxy',
    '--control-plane', stream.url,
    '--token-file', tokenFile,
    '--service', service,
    '--instance', `${name}-1`,
    '--outbound-port', String(ports.outbound),
    '--inbound-port', String(ports.inbound),
    '--admin-port', String(ports.admin),
    ...(appPort !== undefined ? ['--app-port', String(appPort)] : []),
    ...(workers !== undefined ? ['--workers', String(workers)] : []),
    // Its identity and last-good-snapshot copies go with the run's other files, not into the checkout.
    '--data-dir', path.join(own, 'data'),
  ]; // prettier-ignore
  const [command, ...commandArgs] = [...wrapper, process.execPath, ...args];
  // Under a wrapper such as valgrind everything runs tens of times slower, start-up included.
  const patience = wrapper.length > 0 ? 10 : 1;
  const child = start(command, commandArgs, {
    core,
    cwd: repoRoot,
    logFile: path.join(own, 'output.log'),
    onLine: (line) => {
      if (readyLine && /failed|error|refused/i.test(line) && !/^\s+at /.test(line)) {
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
    new Promise((r) => (timer = setTimeout(() => r('timeout'), TRELLIS_READY_TIMEOUT_MS * patience))),
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') throw Object.assign(new Error(`${name}: no "trellis proxy ready" line within ${(TRELLIS_READY_TIMEOUT_MS * patience) / 1000} s`), { child });
  if (outcome !== 'ready') throw Object.assign(new Error(`${name} ${outcome}: ${reasonFrom(child, 'no output')}`), { child });
  try {
    const info = JSON.parse(readyLine);
    // Trust the proxy's own report of where it listens.
    for (const key of ['outbound', 'inbound', 'admin']) if (typeof info[key] === 'number') ports[key] = info[key];
  } catch {
    /* not JSON: keep the ports we asked for */
  }
  await waitForPort(ports.outbound, READY_TIMEOUT_MS * patience, child);
  // Listening is not ready: /ready turns 200 once the snapshot from the stream is applied (and the
  // certificate, which the stand-in sends before it, installed).
  const until = Date.now() + READY_TIMEOUT_MS * patience;
  while ((await get(ports.admin, '/ready').catch(() => ({ status: 0 }))).status !== 200) {
    if (Date.now() > until) {
      const refused = stream.counts.refused.at(-1);
      throw Object.assign(new Error(`${name}: /ready not 200 within ${(READY_TIMEOUT_MS * patience) / 1000} s (${refused ? `stand-in refused it: ${refused}` : 'snapshot not applied?'})`), { child });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, child, pid: child.pid, ports, failures, appPort };
}

/** Sums the samples of a Prometheus counter in `/metrics` whose labels contain every `labels` pair. */
export function counterSum(metricsText, name, labels = {}) {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.split(' ').at(-1)) || 0;
  }
  return sum;
}

/** The proxy's /metrics text, or undefined (with the reason in `notes`) when it cannot be read. */
export async function metricsOf(proxy, notes) {
  const metrics = await get(proxy.ports.admin, '/metrics').catch((err) => ({ status: 0, body: String(err) }));
  if (metrics.status === 200) return metrics.body;
  notes.push(`${proxy.name} /metrics ${metrics.status || 'unreachable'}`);
  return undefined;
}
