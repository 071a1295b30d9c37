// The floor of a Node.js proxy built like Trellis: node:http for clients, an undici Pool to the
// upstream, and nothing else (no routing, policies, metrics or tracing; hop-by-hop headers not even
// stripped; the response is held until it is complete and written with one end(), the cheapest way
// for the bench's 64-byte body, and what Trellis does for small bodies). No real proxy can be this
// bare; it shows how much of Trellis's cost is the platform's.
// Usage: node node-undici-floor-server.mjs PORT UPSTREAM_PORT [TLS_JSON] [--proxy-headers] [--mesh MESH_JSON]
// --proxy-headers: the header work any correct forwarding proxy with tracing does, and nothing else:
// hop-by-hop headers removed both ways (RFC 9110 §7.6.1), x-request-id, a traceparent with new ids (from
// a pool of random hex, as Trellis makes them), x-forwarded-for and -proto. It shows what of Trellis's
// cost is the headers every proxy must touch (bench/proxy/ab.mjs --before floor+headers).
// --mesh (implies --proxy-headers): also the least a mesh proxy must do per request under issue 15's
// conditions: route by Host, cancel upstream when the client leaves, count per route, and send a client
// span per request over a TLS WebSocket (lib/floor-mesh.mjs). MESH_JSON: { sink: {url, ca}, service, hosts }.
// TLS_JSON (the two-hop floor rows, lib/floor-targets.mjs) names PEM files: { serve: {key, cert, ca} }
// makes the listener mutual TLS (client certificate required, from `ca`); { upstream: {key, cert, ca} }
// makes the Pool call https with that client certificate. Node's TLS checks the chain both ways; the
// SPIFFE ID in the peer's certificate is not checked (Trellis checks it: a few µs per handshake).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createMesh } from './lib/floor-mesh.mjs';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'proxy-headers': { type: 'boolean', default: false }, mesh: { type: 'string' } },
});
const meshConfig = flags.mesh ? JSON.parse(readFileSync(flags.mesh, 'utf8')) : undefined;
const proxyHeaders = flags['proxy-headers'] || meshConfig !== undefined;
const [portArg, upstreamArg, tlsArg] = positionals;
const [port, upstreamPort] = [portArg, upstreamArg].map(Number);
if (!port || !upstreamPort) {
  process.stderr.write('usage: node node-undici-floor-server.mjs PORT UPSTREAM_PORT [TLS_JSON] [--proxy-headers] [--mesh MESH_JSON]\n');
  process.exit(2);
}
const tls = tlsArg ? JSON.parse(readFileSync(tlsArg, 'utf8')) : {};
const pem = (files) => files && { key: readFileSync(files.key), cert: readFileSync(files.cert), ca: readFileSync(files.ca) };
const serve = pem(tls.serve);
const upstream = pem(tls.upstream);

// undici's Pool alone, as the Trellis proxy loads it (apps/proxy/src/upstream/endpoint.ts).
const require = createRequire(new URL('../../apps/proxy/package.json', import.meta.url));
const Pool = require('undici/lib/dispatcher/pool.js');
const pool = new Pool(`${upstream ? 'https' : 'http'}://127.0.0.1:${upstreamPort}`, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 120_000,
  ...(upstream ? { connect: { ...upstream, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined } } : {}),
});

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** A copy of `headers` without hop-by-hop ones, including those the Connection header names. */
function endToEnd(headers) {
  const named = headers.connection ? String(headers.connection).toLowerCase().split(',').map((t) => t.trim()) : [];
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = headers[name];
  return out;
}

let randomHexPool = '';
let randomHexAt = 0;
function randomHex(digits) {
  if (randomHexAt + digits > randomHexPool.length) {
    randomHexPool = randomBytes(4096).toString('hex');
    randomHexAt = 0;
  }
  randomHexAt += digits;
  return randomHexPool.slice(randomHexAt - digits, randomHexAt);
}

/** `trace`, when given, receives the ids the traceparent carries (--mesh: its client span's). */
function forwardedHeaders(req, trace) {
  if (!proxyHeaders) return req.headers;
  const headers = endToEnd(req.headers);
  headers['x-request-id'] ??= randomHex(32);
  const traceId = randomHex(32);
  const spanId = randomHex(16);
  if (trace) {
    trace.traceId = traceId;
    trace.spanId = spanId;
  }
  headers.traceparent = `00-${traceId}-${spanId}-01`;
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${req.socket.remoteAddress}` : req.socket.remoteAddress;
  headers['x-forwarded-proto'] = serve ? 'https' : 'http';
  return headers;
}

const handle = (req, res) => dispatch(req, res, forwardedHeaders(req), undefined);

/** Sends `req` upstream; the answer is held until complete and written with one end(). */
function dispatch(req, res, headers, onStart) {
  pool.dispatch(
    { path: req.url, method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    {
      status: 0,
      headers: undefined,
      chunks: [],
      onRequestStart(controller) {
        onStart?.(controller);
      },
      onResponseStart(_controller, status, headers) {
        this.status = status;
        this.headers = proxyHeaders ? endToEnd(headers) : headers;
      },
      onResponseData(_controller, chunk) {
        this.chunks.push(chunk);
      },
      onResponseEnd() {
        res.writeHead(this.status, this.headers);
        res.end(this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks));
      },
      onResponseError(_controller, err) {
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`upstream error: ${err.message}\n`);
      },
    },
  );
}

const mesh = meshConfig && createMesh({ ...meshConfig, endpoint: `127.0.0.1:${upstreamPort}` });

/** --mesh: the same, plus what lib/floor-mesh.mjs lists. */
const handleInMesh = (req, res) => {
  const startedAt = performance.now();
  const host = req.headers.host ?? '';
  const colon = host.lastIndexOf(':');
  const route = mesh.route((colon === -1 ? host : host.slice(0, colon)).toLowerCase());
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`no service named "${host}"\n`);
    return;
  }
  const trace = { traceId: '', spanId: '' };
  let upstream;
  res.on('close', () => {
    if (!res.writableFinished) upstream?.abort(new Error('the client went away'));
    mesh.finished(route, req, trace, res.statusCode, startedAt);
  });
  dispatch(req, res, forwardedHeaders(req, trace), (controller) => (upstream = controller));
};

const onRequest = mesh ? handleInMesh : handle;
const server = serve ? https.createServer({ ...serve, minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: true }, onRequest) : http.createServer(onRequest);
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`node + undici floor${serve ? ' (mTLS)' : ''} ready on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
