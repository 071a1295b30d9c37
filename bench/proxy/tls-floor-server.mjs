#!/usr/bin/env node
// The floor under a proxy's mTLS inbound: node:tls with the same settings (TLS 1.3, a client certificate
// asked for and checked, ALPN http/1.1) and nothing else: no first-byte sniffing, no HTTP server, no
// metrics. What the handshake costs in Node and OpenSSL on this machine.
// usage: tls-floor-server.mjs PORT DIR   (DIR holds key.pem, cert.pem, ca.pem)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isInteger(port) || !dir) {
  process.stderr.write('usage: tls-floor-server.mjs PORT DIR (key.pem, cert.pem, ca.pem)\n');
  process.exit(2);
}
const read = (name) => readFileSync(path.join(dir, name), 'utf8');
const server = tls.createServer(
  { key: read('key.pem'), cert: read('cert.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3', ALPNProtocols: ['http/1.1'] },
  (socket) => {
    // What the proxy does with a new caller: refuse it unless its certificate chains to the bundle, read its identity.
    if (!socket.authorized || !socket.getPeerCertificate().subjectaltname) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.destroy());
    socket.resume();
  },
);
server.on('tlsClientError', (_err, socket) => socket.destroy());
server.listen(port, '127.0.0.1');
