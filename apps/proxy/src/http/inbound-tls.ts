import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type http from 'node:http';
import { parseSpiffeId } from '@trellis/shared';
import { sniffTls, spiffeIdOf } from '@trellis/shared/node';
import type { WorkloadIdentity } from '../identity/workload-identity.ts';
import { handshakeFailure, type HandshakeCounters } from '../identity/handshakes.ts';
import { writeRawResponse } from './raw-response.ts';
import { proxyError } from './response.ts';
import { ALPN_PROTOCOLS, type ProtocolRouter } from './protocols.ts';

/** The caller's verified SPIFFE ID and the service it names, kept on its connection (absent: a plain-HTTP caller). */
const PEER = Symbol('trellis.peer');
type PeerSocket = Socket & { [PEER]?: { identity: string; service: string } };

/** The caller's verified identity on this connection, if it came over mutual TLS. */
export function peerIdentityOf(socket: Socket): string | undefined {
  return (socket as PeerSocket)[PEER]?.identity;
}

/** "name.namespace" of the caller's identity (outside Kubernetes its service account is its service), or undefined. */
export function peerServiceOf(socket: Socket): string | undefined {
  return (socket as PeerSocket)[PEER]?.service;
}

export interface InboundTlsOptions {
  identity: WorkloadIdentity;
  /** Whether callers without mutual TLS are served (PERMISSIVE, DISABLE) or refused (STRICT). */
  acceptsPlain: () => boolean;
  /** Time a caller has for its first bytes and for the handshake. */
  handshakeTimeoutMs: number;
  handshakes: HandshakeCounters;
}

/**
 * The inbound port when the workload has a mesh identity: each connection is mutual TLS (the caller's
 * certificate must chain to the trust bundle; its SPIFFE ID goes on the connection) or plain HTTP, told
 * apart by the first byte. Plain callers are served only when the MutualTLSPolicy mode allows it; under
 * STRICT they get a 403 `mtls-required` and the connection closes. Both kinds go to the router, which picks
 * HTTP/1.1 or HTTP/2 (ALPN under TLS, the preface in plain text).
 */
export class InboundTls {
  private readonly front: net.Server;
  private readonly tlsServer: tls.Server;

  constructor(
    private readonly router: ProtocolRouter,
    private readonly server: http.Server,
    private readonly options: InboundTlsOptions,
  ) {
    const { identity, handshakes } = options;
    this.tlsServer = tls.createServer({
      requestCert: true,
      // Checked below instead, so each refusal is counted with its reason (no certificate, another CA,
      // expired); a refused caller's connection is closed before a byte of HTTP is read.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      handshakeTimeout: options.handshakeTimeoutMs,
      ALPNProtocols: ALPN_PROTOCOLS,
    });
    serveWith(this.tlsServer, identity);
    this.tlsServer.on('secureConnection', (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      if (!socket.authorized) {
        handshakes.fail(Object.keys(peer).length === 0 ? 'no-client-certificate' : certificateProblem(socket.authorizationError));
        socket.destroy();
        return;
      }
      handshakes.ok++;
      const identity = spiffeIdOf(peer);
      const parts = identity ? parseSpiffeId(identity) : undefined;
      if (identity && parts) (socket as PeerSocket)[PEER] = { identity, service: `${parts.serviceAccount}.${parts.namespace}` };
      router.tls(socket);
    });
    this.tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      handshakes.fail(handshakeFailure(err));
      socket.destroy();
    });
    // A renewed certificate or a new bundle applies to new connections; open ones keep theirs.
    identity.on('changed', () => serveWith(this.tlsServer, identity));
    this.front = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
      sniffTls(socket, (s) => this.onTls(s), (s) => this.onPlain(s), options.handshakeTimeoutMs);
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.front.once('error', reject);
      this.front.listen(port, host, () => {
        this.front.off('error', reject);
        // The HTTP server never listens itself, but it starts tracking connections (the headers timeout
        // that stops slowloris, closeAllConnections when draining) on its 'listening' event.
        this.server.emit('listening');
        resolve((this.front.address() as AddressInfo).port);
      });
    });
  }

  close(): void {
    this.front.close();
  }

  private onTls(socket: Socket): void {
    if (!this.options.identity.ready) {
      // No certificate yet (the control plane has not answered): nothing to handshake with.
      this.options.handshakes.fail('no-certificate');
      socket.destroy();
      return;
    }
    this.tlsServer.emit('connection', socket);
  }

  private onPlain(socket: Socket): void {
    if (this.options.acceptsPlain()) {
      this.router.plain(socket);
      return;
    }
    this.options.handshakes.fail('plaintext');
    writeRawResponse(
      socket,
      proxyError('mtls-required', 'this workload takes only mutual TLS from mesh proxies (MutualTLSPolicy mode STRICT); call it through your own Trellis proxy'),
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

/**
 * Makes `server` handshake with the workload's one secure context, the one its upstream connections use
 * (WorkloadIdentity.secureContext: one OpenSSL context per workload, not two). tls.Server has no public
 * way to take a ready context (setSecureContext builds a new one from PEM options), but every connection
 * it accepts uses its `_sharedCreds`, as it has since Node's first TLS server; where that is missing, the
 * server gets its own context from the same PEMs, as before.
 */
function serveWith(server: tls.Server, identity: WorkloadIdentity): void {
  const context = identity.secureContext();
  if (!context) return;
  const internal = server as tls.Server & { _sharedCreds?: tls.SecureContext };
  if ('_sharedCreds' in internal) internal._sharedCreds = context;
  else {
    const options = identity.pemOptions();
    if (options) server.setSecureContext(options);
  }
}

/** Why a client certificate was not accepted, as a metric label. */
function certificateProblem(error: Error | string | null | undefined): string {
  const code = String((error as NodeJS.ErrnoException | null)?.code ?? error ?? '');
  if (code === 'CERT_HAS_EXPIRED') return 'expired-certificate';
  if (code === 'CERT_NOT_YET_VALID') return 'not-yet-valid-certificate';
  return 'untrusted-certificate';
}
