// A stand-in for the control plane's proxy stream, so Trellis proxies run as they do in a mesh: connected
// (span recording on, the stream client loaded), with a workload certificate from a mesh CA. It speaks the
// real protocol 2 (packages/shared/src/stream.ts) over TLS, as the control plane does: the trust bundle at
// /v1/trust-bundle, the stream at wss://…/v1/stream with a serving certificate carrying the control
// plane's SPIFFE ID; a hello is taken with a join token it made (or a client certificate it issued), its
// CSR is signed for spiffe://trellis.local/ns/default/sa/<service>, then the service's snapshot is sent.
// It counts the spans and metric reports it gets without parsing them: it shares the load generator's
// core, so it must stay cheap (no database, no compiler, no telemetry store).
import https from 'node:https';
import { WebSocketServer } from 'ws';
import { createMeshCa, workloadId } from './mesh-ca.mjs';
import { countTelemetry } from './span-sink.mjs';

const STREAM_PATH = '/v1/stream';
const TRUST_BUNDLE_PATH = '/v1/trust-bundle';
const PROTOCOL = 2;
/** WebSocket close codes of the real stream (STREAM_CLOSE). */
const CLOSE = { unauthenticated: 4401, forbidden: 4403 };

/** The service a verified client certificate of ours names (its SPIFFE ID's service account). */
function certifiedService(socket) {
  if (!socket.authorized) return undefined;
  const san = socket.getPeerCertificate()?.subjectaltname ?? '';
  return /URI:spiffe:\/\/[^/]+\/ns\/[^/]+\/sa\/([^,\s]+)/.exec(san)?.[1];
}

/**
 * Starts the stand-in on a free port. `snapshots` maps a service name to the snapshot its proxies get
 * (it may be filled in later, before that service's proxy starts); `tokenFor(service)` makes its join token.
 */
export async function startStreamStub() {
  const ca = await createMeshCa();
  const snapshots = new Map();
  const tokens = new Map(); // token -> service
  const counts = { hellos: 0, refused: [], certificates: 0, bundleAcks: 0, acks: 0, nacks: [], spanMessages: 0, spans: 0, metricReports: 0 };
  const server = https.createServer(
    // Client certificates are asked for but not required: a proxy's first connection has only its token.
    { key: ca.serving.key, cert: ca.serving.cert, ca: [ca.rootPem], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (req, res) => {
      if (req.method === 'GET' && req.url === TRUST_BUNDLE_PATH) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ca.bundle));
      } else res.writeHead(404).end();
    },
  );
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(STREAM_PATH)) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, certifiedService(req.socket)));
  });

  const send = (ws, message) => ws.send(JSON.stringify(message));
  const refuse = (ws, code, message) => {
    counts.refused.push(message);
    send(ws, { type: 'error', code, message });
    ws.close(CLOSE[code], message.slice(0, 120));
  };

  async function hello(ws, certified, message) {
    const { service, namespace } = message.proxy;
    const tokenService = message.credential?.kind === 'join-token' ? tokens.get(message.credential.token) : undefined;
    const who = certified ?? tokenService;
    if (!who) return refuse(ws, 'unauthenticated', 'no valid join token or client certificate');
    if (who !== service) return refuse(ws, 'forbidden', `authenticated as ${who}, not ${service}`);
    const snapshot = snapshots.get(service);
    if (!snapshot) return refuse(ws, 'forbidden', `the bench has no snapshot for service ${service}`);
    counts.hellos++;
    if (message.csr) {
      const certificate = await ca.signRequest(message.csr, workloadId(service, namespace));
      counts.certificates++;
      send(ws, { type: 'certificate', certificate, trustBundle: ca.bundle });
    } else send(ws, { type: 'trust-bundle', trustBundle: ca.bundle });
    send(ws, { type: 'snapshot', snapshot });
    return { service, namespace };
  }

  function accept(ws, certified) {
    let greeted = false;
    let session; // who the hello proved to be
    ws.on('message', (data) => {
      const text = data.toString();
      // Only the small messages are parsed; span batches are counted by their span ids.
      if (countTelemetry(text, counts)) return;
      let message;
      try {
        message = JSON.parse(text);
      } catch {
        return refuse(ws, 'unauthenticated', 'messages must be JSON');
      }
      if (!greeted) {
        if (message.type !== 'hello' || message.protocol !== PROTOCOL) return refuse(ws, 'unauthenticated', `expected a protocol ${PROTOCOL} hello first`);
        greeted = true;
        hello(ws, certified, message).then(
          (who) => (session = who),
          (err) => refuse(ws, 'forbidden', err.message),
        );
      } else if (message.type === 'ping') send(ws, { type: 'pong', at: Date.now() });
      else if (message.type === 'ack') counts.acks++;
      else if (message.type === 'nack') counts.nacks.push(message.reason);
      else if (message.type === 'bundle-ack') counts.bundleAcks++;
      else if (message.type === 'csr') {
        // A renewal: not expected within a run (certificates last a day), answered all the same.
        if (session) {
          ca.signRequest(message.csr, workloadId(session.service, session.namespace)).then(
            (certificate) => send(ws, { type: 'certificate', certificate, trustBundle: ca.bundle }),
            (err) => send(ws, { type: 'error', code: 'invalid', message: err.message }),
          );
        }
      }
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}`,
    ca,
    snapshots,
    counts,
    /** A join token for `service` that this stand-in accepts (and that pins its root). */
    tokenFor(service) {
      const token = ca.joinToken();
      tokens.set(token, service);
      return token;
    },
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.close();
      server.closeAllConnections?.();
    },
  };
}
