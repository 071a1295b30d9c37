import type { SecureContext } from 'node:tls';
import type { IssuedCertificate, ProxyCredential, TrustBundle } from '@trellis/shared';

/**
 * How a proxy proves who it is on the stream and keeps its certificate: what the stream client asks of
 * the proxy's identity (apps/proxy/src/identity). The private key never leaves the proxy: only CSRs do.
 */
export interface StreamCredentials {
  /** Roots to trust for the control plane's certificate; undefined before the first trust bundle. */
  trustedRoots(): readonly string[] | undefined;
  /** The certificate chain and key to present as a TLS client, when a valid one is held. */
  clientCertificate(): { cert: string; key: string } | undefined;
  /**
   * Optional: a TLS context holding exactly trustedRoots() and clientCertificate(), when there is one,
   * to connect with instead of building one per connection (a node agent's workload then keeps one
   * OpenSSL context, about 36 KB, for its upstream connections and its stream alike).
   */
  tlsContext?(): SecureContext | undefined;
  /** What to prove identity with when there is no valid certificate (a join token). */
  credential(): ProxyCredential | undefined;
  /** A CSR (PEM) when a certificate is needed now: none yet, or due for renewal. */
  certificateRequest(): Promise<string | undefined>;
  /** A CSR for a new key, now (renewal, or the control plane asked). */
  renewalRequest(): Promise<string>;
  /** Takes a certificate the control plane issued, with the trust bundle that came with it. */
  installCertificate(certificate: IssuedCertificate, bundle: TrustBundle): Promise<void> | void;
  /** Takes a new trust bundle (a rotation under way). */
  installBundle(bundle: TrustBundle): Promise<void> | void;
}

/**
 * Credentials of a stream client that is not a data plane (benchmarks, simulations, tools): a join
 * token only, no certificate. It finds the control plane's root through the token's pin, then keeps the
 * trust bundle it is sent.
 */
export function tokenCredentials(token: string): StreamCredentials {
  let roots: readonly string[] | undefined;
  return {
    trustedRoots: () => roots,
    clientCertificate: () => undefined,
    credential: () => ({ kind: 'join-token', token }),
    certificateRequest: () => Promise.resolve(undefined),
    renewalRequest: () => Promise.reject(new Error('this client holds no certificate to renew')),
    installCertificate: (_certificate, bundle) => {
      roots = bundle.roots;
    },
    installBundle: (bundle) => {
      roots = bundle.roots;
    },
  };
}
