// The floor of a Node.js proxy built like Trellis: node:http for clients, an undici Pool to the
// upstream, and nothing else (no routing, policies, metrics or tracing; hop-by-hop headers not even
// stripped; the response is held until it is complete and written with one end(), the cheapest way
// for the bench's 64-byte body, and what Trellis does for small bodies). No real proxy can be this
// bare; it shows how much of Trellis's cost is the platform's.
// Usage: node node-undici-floor-server.mjs PORT UPSTREAM_PORT
import http from 'node:http';
import { createRequire } from 'node:module';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
if (!port || !upstreamPort) {
  process.stderr.write('usage: node node-undici-floor-server.mjs PORT UPSTREAM_PORT\n');
  process.exit(2);
}

// undici's Pool alone, as the Trellis proxy loads it (apps/proxy/src/upstream/endpoint.ts).
const require = createRequire(new URL('../../apps/proxy/package.json', import.meta.url));
const Pool = require('undici/lib/dispatcher/pool.js');
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128, pipelining: 1, keepAliveTimeout: 120_000 });

const server = http.createServer((req, res) => {
  pool.dispatch(
    { path: req.url, method: req.method, headers: req.headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    {
      status: 0,
      headers: undefined,
      chunks: [],
      onRequestStart() {},
      onResponseStart(_controller, status, headers) {
        this.status = status;
        this.headers = headers;
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
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`node + undici floor ready on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
