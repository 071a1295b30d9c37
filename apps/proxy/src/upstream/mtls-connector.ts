import { createRequire } from 'node:module';
import type { ConnectionOptions, PeerCertificate, SecureContext } from 'node:tls';
import type { buildConnector as BuildConnector } from 'undici';
import { spiffeIdOf } from '@trellis/shared/node';
import { handshakeFailure, type HandshakeCounters } from '../identity/handshakes.ts';

// undici's connector on its own (see endpoint.ts on why not the package entry). It keeps a TLS session
// cache per pool, so reconnecting to an endpoint resumes the session instead of a full handshake.
const buildConnector = createRequire(import.meta.url)('undici/lib/core/connect.js') as typeof BuildConnector;

/** What upstream pools need from the workload's identity to speak mutual TLS. */
export interface UpstreamTls {
  /** Moves on whenever the certificate or the trust bundle changes: pools made before it are replaced. */
  readonly generation: number;
  /** The workload's certificate, key and trusted roots; undefined until it has a certificate. */
  clientContext(): SecureContext | undefined;
  readonly handshakes: HandshakeCounters;
  /**
   * Every request to another proxy goes over HTTP/2, whatever the caller spoke (a node agent: see
   * EndpointState.meshHttp2); otherwise only HTTP/2 callers' requests do.
   */
  readonly http2Between?: boolean;
}

/**
 * TLS options for a connection to an mTLS endpoint: our certificate and the bundle's roots (`context`),
 * and `expected` as the only acceptable server identity. Host names mean nothing in the mesh: the
 * identity in the certificate is what is checked.
 */
export function mtlsOptions(context: SecureContext, expected: string): ConnectionOptions {
  return {
    secureContext: context,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const presented = spiffeIdOf(cert);
      if (presented === expected) return undefined;
      return Object.assign(new Error(`the endpoint presented ${presented ?? 'no SPIFFE ID'}, expected ${expected}`), { code: 'ERR_TLS_PEER_IDENTITY' });
    },
  };
}

/** undici's connector for an mTLS endpoint, counting handshakes. */
export function mtlsConnector(context: SecureContext, expected: string, handshakes: HandshakeCounters, timeoutMs: number): BuildConnector.connector {
  const connect = buildConnector({ ...mtlsOptions(context, expected), timeout: timeoutMs } as BuildConnector.BuildOptions);
  return (options, callback) =>
    connect(options, (err, socket) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        // Refused or unreachable is not a handshake failure: only what happened once TLS began.
        if (!/^(ECONN|EHOST|ENET|EADDR|ENOTFOUND|EAI_|UND_ERR_CONNECT_TIMEOUT)/.test(code)) handshakes.fail(handshakeFailure(err as NodeJS.ErrnoException));
        callback(err, null);
      } else {
        handshakes.ok++;
        callback(null, socket);
      }
    });
}
