// node-http-proxy (npm `http-proxy`) as a reverse proxy, configured the way its README recommends for
// throughput: a keep-alive agent to the upstream. Usage: node node-http-proxy-server.mjs PORT UPSTREAM_PORT
import http from 'node:http';
import httpProxy from 'http-proxy';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
if (!port || !upstreamPort) {
  process.stderr.write('usage: node node-http-proxy-server.mjs PORT UPSTREAM_PORT\n');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstreamPort}`, agent });
proxy.on('error', (err, _req, res) => {
  if (res.headersSent) return void res.destroy();
  res.writeHead(502, { 'content-type': 'text/plain' });
  res.end(`upstream error: ${err.message}\n`);
});

const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`node-http-proxy ready on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
