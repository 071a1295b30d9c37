// `npm run bench:h2`: HTTP/2 and gRPC through the Trellis proxy, in one run on this machine.
// 1. h2load (-c10 -m10, h2c with prior knowledge) against the proxy's outbound listener and against nginx
//    configured for HTTP/2, both in front of the same nginx upstream: max req/s, and p99 at 1,000 req/s.
// 2. gRPC unary calls per second (@grpc/grpc-js, one channel, 64 calls in flight): direct to the server,
//    through one proxy (outbound -> server), through two (outbound -> inbound -> server, plain h2c: these
//    proxies serve snapshot files, so no mTLS).
// Ports BENCH_H2_PORT_BASE (21500) to +30. Prints the load average with the figures: a busy machine
// disturbs them.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ensureBuilt } from '../../apps/cli/bin/build.mjs';
import { ECHO } from './grpc-echo.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The proxies run the trellis bundle, built here when a source changed (as `npx trellis` would).
const trellis = await ensureBuilt({ log: () => {} });
const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-h2-'));
const BASE = Number(process.env.BENCH_H2_PORT_BASE ?? 21500);
const OFFSETS = { upstream: 1, nginxH2: 2, proxyH2: 3, proxyAdmin: 4, grpcServer: 10, calleeIn: 11, calleeOut: 12, calleeAdmin: 13, callerOut: 14, callerAdmin: 15, oneOut: 16, oneAdmin: 17 };
const PORTS = Object.fromEntries(Object.entries(OFFSETS).map(([name, offset]) => [name, BASE + offset]));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const children = [];

function run(command, args, name) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.name = name;
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  children.push(child);
  return child;
}

async function waitForPort(port, child) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${child.name} did not listen on ${port}:\n${child.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function nginxConfig(body) {
  mkdirSync(path.join(dir, 'nginx'), { recursive: true });
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx-${body.port}.pid;
error_log ${dir}/nginx-${body.port}.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx; proxy_temp_path ${dir}/nginx; fastcgi_temp_path ${dir}/nginx; uwsgi_temp_path ${dir}/nginx; scgi_temp_path ${dir}/nginx;
  keepalive_requests 1000000;
  ${body.text}
}`;
}

function snapshot(service, outbound) {
  return {
    version: 1,
    digest: `bench-h2-${service}`,
    createdAt: new Date().toISOString(),
    service: { name: service, namespace: 'default' },
    inbound: { routes: [{ name: 'default', match: {}, policies: {} }], authorization: [], mtls: 'DISABLE' },
    outbound: {
      services: outbound.map(({ name, port }) => ({
        name,
        namespace: 'default',
        hostnames: [name, '127.0.0.1'],
        endpoints: [{ address: '127.0.0.1', port, labels: {} }],
        routes: [{ name: 'default', match: {}, policies: {} }],
        loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
      })),
    },
    tracing: { sampling: 0 },
    mesh: {},
  };
}

async function startProxy(name, { out, admin, inbound, appPort, appProtocol, outbound }) {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(snapshot(name, outbound)));
  const args = [trellis, 'proxy', '--service', name, '--config', file, '--outbound-port', String(out), '--admin-port', String(admin), '--data-dir', path.join(dir, name)];
  if (appPort) args.push('--app-port', String(appPort), '--inbound-port', String(inbound), '--app-protocol', appProtocol);
  const child = run(process.execPath, args, `trellis ${name}`);
  await waitForPort(out, child);
  return child;
}

/** h2load's summary line "finished in 2.01s, 9950.25 req/s, ..." and its failed count. */
function h2load(url, args) {
  const out = execFileSync('h2load', [...args, url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1]);
  const failed = Number(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(out)?.[1]);
  return { rps, failed, out };
}

function maxRps(url) {
  h2load(url, ['-c10', '-m10', '-n', '5000']);
  return h2load(url, ['-c10', '-m10', '-D', String(SECONDS)]);
}

/** p99 of request durations at 1,000 req/s (10 clients x 100 req/s), from h2load's per-request log. */
function p99At1000(url, name) {
  const logFile = path.join(dir, `${name}-latency.log`);
  const { failed } = h2load(url, ['-c10', '-m10', '--rps', '100', '-D', String(SECONDS), '--log-file', logFile]);
  const durations = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[2]) / 1000)
    .sort((a, b) => a - b);
  return { p99: durations[Math.floor(durations.length * 0.99)] ?? NaN, p50: durations[Math.floor(durations.length * 0.5)] ?? NaN, n: durations.length, failed };
}

async function grpcRate(port, authority) {
  const Client = grpc.makeGenericClientConstructor(ECHO, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority });
  const message = Buffer.from('trellis bench grpc message');
  const call = () =>
    new Promise((resolve) => client.makeUnaryRequest(ECHO.say.path, (b) => b, (b) => b, message, (err) => resolve(err ? 1 : 0)));
  for (let i = 0; i < 500; i++) await call();
  let done = 0;
  let failed = 0;
  const end = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      failed += await call();
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 64 }, worker));
  client.close();
  return { rate: done / ((Date.now() - started) / 1000), failed };
}

const load = () => os.loadavg().map((n) => n.toFixed(1)).join(' ');

try {
  writeFileSync(path.join(dir, 'upstream.conf'), nginxConfig({ port: PORTS.upstream, text: `server { listen 127.0.0.1:${PORTS.upstream}; location / { return 200 "trellis bench upstream: a fixed small body of sixty-four bytes.\\n"; } }` }));
  const up = run('nginx', ['-c', path.join(dir, 'upstream.conf')], 'nginx upstream');
  await waitForPort(PORTS.upstream, up);
  writeFileSync(
    path.join(dir, 'h2.conf'),
    nginxConfig({
      port: PORTS.nginxH2,
      text: `upstream app { server 127.0.0.1:${PORTS.upstream}; keepalive 64; }
  server { listen 127.0.0.1:${PORTS.nginxH2} http2; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    }),
  );
  const nginxH2 = run('nginx', ['-c', path.join(dir, 'h2.conf')], 'nginx h2');
  await waitForPort(PORTS.nginxH2, nginxH2);
  await startProxy('bench', { out: PORTS.proxyH2, admin: PORTS.proxyAdmin, outbound: [{ name: 'upstream', port: PORTS.upstream }] });

  const rows = [];
  for (const [name, port] of [['nginx (HTTP/2)', PORTS.nginxH2], ['trellis outbound (h2c)', PORTS.proxyH2]]) {
    const url = `http://127.0.0.1:${port}/`;
    const max = maxRps(url);
    const latency = p99At1000(url, name.split(' ')[0]);
    rows.push({ name, max, latency, load: load() });
  }
  process.stdout.write(`\nHTTP/2, h2load -c10 -m10, ${SECONDS} s per measurement, nginx upstream (HTTP/1.1 keep-alive)\n`);
  process.stdout.write('| target | max req/s | p50 at 1,000 req/s | p99 at 1,000 req/s | rate reached | failed | load average |\n|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    // The rate the fixed-rate run reached: below 1,000 req/s, the target could not keep up and its p99 is not at 1,000.
    const reached = (r.latency.n / SECONDS).toFixed(0);
    process.stdout.write(`| ${r.name} | ${r.max.rps.toFixed(0)} | ${r.latency.p50.toFixed(2)} ms | ${r.latency.p99.toFixed(2)} ms | ${reached} req/s | ${r.max.failed + r.latency.failed} | ${r.load} |\n`);
  }

  const server = run(process.execPath, [path.join(here, 'grpc-echo-server.mjs'), String(PORTS.grpcServer)], 'grpc server');
  await waitForPort(PORTS.grpcServer, server);
  await startProxy('echo', { out: PORTS.calleeOut, admin: PORTS.calleeAdmin, inbound: PORTS.calleeIn, appPort: PORTS.grpcServer, appProtocol: 'grpc', outbound: [] });
  await startProxy('caller', { out: PORTS.callerOut, admin: PORTS.callerAdmin, outbound: [{ name: 'echo', port: PORTS.calleeIn }] });
  await startProxy('one', { out: PORTS.oneOut, admin: PORTS.oneAdmin, outbound: [{ name: 'echo', port: PORTS.grpcServer }] });
  process.stdout.write(`\ngRPC unary, @grpc/grpc-js client, one channel, 64 calls in flight, ${SECONDS} s each\n| path | calls/s | of direct | failed | load average |\n|---|---|---|---|---|\n`);
  let direct;
  for (const [name, port] of [['direct', PORTS.grpcServer], ['one proxy', PORTS.oneOut], ['two proxies', PORTS.callerOut]]) {
    const { rate, failed } = await grpcRate(port, 'echo');
    direct ??= rate;
    process.stdout.write(`| ${name} | ${rate.toFixed(0)} | ${((rate / direct) * 100).toFixed(0)} % | ${failed} | ${load()} |\n`);
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
}
