#!/usr/bin/env node
// What one idle keep-alive TLS connection costs in RSS, both ends in this process, after one request:
// HTTP/1.1 (an https keep-alive agent each) against HTTP/2 (one session each). Between proxies of a node
// agent, HTTP/1.1 pools grow to as many connections as requests overlap, HTTP/2 keeps one session.
//
//   node bench/node-agent/connection-memory.mjs [--connections 200]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '200' }, only: { type: 'string' } } });
const count = Number(values.connections);
if (!values.only) {
  // Each protocol in a fresh process: memory freed by the first would otherwise be reused by the second.
  console.log(`one idle TLS connection after one request, both ends, ${count} of them; KB each`);
  console.log('| protocol | RSS | V8 heap | external |');
  console.log('|---|---:|---:|---:|');
  for (const only of ['HTTP/1.1', 'HTTP/2']) {
    const args = ['--expose-gc', process.argv[1], '--connections', String(count), '--only', only];
    process.stdout.write(execFileSync(process.execPath, args, { encoding: 'utf8' }));
  }
  process.exit(0);
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-conn-mem-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=bench'], { stdio: 'ignore' });
const key = readFileSync(path.join(dir, 'k.pem'));
const cert = readFileSync(path.join(dir, 'c.pem'));
rmSync(dir, { recursive: true, force: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async () => {
  await sleep(300);
  globalThis.gc();
  await sleep(100);
  globalThis.gc();
};

async function measure(kind) {
  const secureContext = tls.createSecureContext({ ca: cert, minVersion: 'TLSv1.3' });
  const server =
    kind === 'HTTP/1.1'
      ? https.createServer({ key, cert, keepAliveTimeout: 60_000 }, (_q, s) => s.end('ok'))
      : http2.createSecureServer({ key, cert, settings: { initialWindowSize: 1024 * 1024 } }, (_q, s) => s.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const held = [];
  await settle();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    if (kind === 'HTTP/1.1') {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      held.push(agent);
      await new Promise((resolve, reject) =>
        https.get({ host: '127.0.0.1', port, agent, secureContext, checkServerIdentity: () => undefined }, (r) => r.resume().on('end', resolve)).on('error', reject),
      );
    } else {
      const session = http2.connect(`https://127.0.0.1:${port}`, { secureContext, checkServerIdentity: () => undefined });
      held.push(session);
      await new Promise((resolve, reject) => session.request({ ':path': '/' }).on('error', reject).resume().on('end', resolve).end());
    }
  }
  await settle();
  const after = process.memoryUsage();
  const kb = (field) => ((after[field] - before[field]) / 1024 / count).toFixed(1);
  console.log(`| ${kind} | ${kb('rss')} | ${kb('heapUsed')} | ${kb('external')} |`);
  for (const h of held) h.destroy?.();
  server.close();
  server.closeAllConnections?.();
}

await measure(values.only);
process.exit(0);
