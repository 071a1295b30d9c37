#!/usr/bin/env node
// A TLS load client for a proxy's mTLS inbound: opens new connections as fast as the proxy takes them,
// `concurrency` at a time, for `seconds`, each a TLS 1.3 handshake with a client certificate, checking
// the server's chain and SPIFFE ID as a calling proxy does; then closes it (close_notify and FIN, after
// its certificate and Finished, so the server completes its side: the proxy's own handshake counter is
// the cross-check). The next connection starts once the server's flight has arrived, so at most
// `concurrency` handshakes wait on the server at any time.
// Without --resume every connection is a full handshake (no session is offered); with --resume each
// offers a ticket the proxy issued (PSK resumption: no certificates sent, signed or verified; the first
// connections are full, to get a ticket).
// Prints one JSON line: {handshakes, resumed, failed, firstError, seconds}.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    files: { type: 'string' },
    expect: { type: 'string' },
    resume: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(port) || !values.files || !values.expect || !(seconds > 0) || !(concurrency >= 1)) {
  process.stderr.write('usage: handshake-client.mjs --port P --files DIR (key.pem cert.pem ca.pem) --expect SPIFFE_ID [--seconds S] [--concurrency N] [--resume]\n');
  process.exit(2);
}
const read = (name) => readFileSync(path.join(values.files, name), 'utf8');
const secureContext = tls.createSecureContext({ key: read('key.pem'), cert: read('cert.pem'), ca: read('ca.pem'), minVersion: 'TLSv1.3' });
const expected = values.expect;

function checkServerIdentity(_host, cert) {
  const san = cert.subjectaltname ?? '';
  if (san.split(', ').includes(`URI:${expected}`)) return undefined;
  return new Error(`the server presented ${san || 'no SAN'}, expected ${expected}`);
}

const counts = { handshakes: 0, resumed: 0, failed: 0, firstError: undefined };
let session;
let running = true;
let inFlight = 0;
const started = process.hrtime.bigint();

function connectOne() {
  if (!running) return;
  let done = false;
  inFlight++;
  const finish = (ok, err) => {
    if (done) return;
    done = true;
    inFlight--;
    if (!running) return; // finished after the window: not counted
    if (ok) counts.handshakes++;
    else {
      counts.failed++;
      counts.firstError ??= err?.message ?? 'closed before the handshake completed';
    }
    setImmediate(connectOne);
  };
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    secureContext,
    checkServerIdentity,
    ALPNProtocols: ['http/1.1'],
    ...(values.resume && session ? { session } : {}),
  });
  socket.once('secureConnect', () => {
    if (socket.isSessionReused()) counts.resumed++;
    // A connection that is to bring the first ticket stays until the ticket is there (TLS 1.3 tickets
    // come after the handshake); the others close at once.
    if (!values.resume || session) {
      finish(true);
      socket.end();
    }
  });
  if (values.resume) {
    socket.once('session', (ticket) => {
      session ??= ticket;
      finish(true);
      socket.end();
    });
  }
  socket.once('error', (err) => {
    finish(false, err);
    socket.destroy();
  });
  socket.once('close', () => finish(false));
}

for (let i = 0; i < concurrency; i++) connectOne();
setTimeout(() => {
  running = false;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ ...counts, seconds: elapsed })}\n`);
  // Handshakes still under way finish (up to 2 s) before the process goes, so the proxy does not count
  // them as failed; they are not in the figure.
  const deadline = Date.now() + 2000;
  const exitWhenDone = () => (inFlight === 0 || Date.now() > deadline ? process.exit(0) : setTimeout(exitWhenDone, 10));
  exitWhenDone();
}, seconds * 1000);
