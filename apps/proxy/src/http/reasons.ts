/**
 * Every answer the proxy makes by itself, in one table: the status it sends, the x-trellis-reason code
 * and the first words of the body (proxyError in response.ts makes the answer). Documented in docs/PROXY.md; keep the two in step.
 */
export const REASONS = {
  'unknown-service': { status: 404, message: 'unknown service' },
  'no-route': { status: 404, message: 'no route' },
  denied: { status: 403, message: 'denied by authorization policy' },
  'mtls-required': { status: 403, message: 'mutual TLS required' },
  'rate-limited': { status: 429, message: 'rate limited' },
  'rate-limiter-unavailable': { status: 503, message: 'rate limiter unavailable' },
  'fault-injected': { status: 503, message: 'fault injected' },
  'no-healthy-endpoint': { status: 503, message: 'no healthy endpoint' },
  'circuit-open': { status: 503, message: 'circuit open' },
  'scale-up-timeout': { status: 503, message: 'service scaled to zero did not start in time' },
  'scale-up-queue-full': { status: 503, message: 'too many requests wait for a service scaled to zero' },
  'upstream-connect-error': { status: 503, message: 'upstream connect error' },
  'upstream-connect-timeout': { status: 504, message: 'upstream connect timeout' },
  'upstream-reset': { status: 502, message: 'upstream reset' },
  'upstream-protocol-error': { status: 502, message: 'upstream protocol error' },
  'upstream-tls-error': { status: 503, message: 'upstream TLS handshake failed' },
  'upstream-identity-mismatch': { status: 503, message: 'upstream identity mismatch' },
  'no-certificate': { status: 503, message: 'this proxy has no certificate yet' },
  timeout: { status: 504, message: 'upstream request timeout' },
  'idle-timeout': { status: 504, message: 'upstream idle timeout' },
  'not-ready': { status: 503, message: 'proxy has no configuration yet' },
  'no-local-app': { status: 503, message: 'no local app configured' },
  'bad-request': { status: 400, message: 'bad request' },
  'missing-host': { status: 400, message: 'missing Host header' },
  'duplicate-host': { status: 400, message: 'more than one Host header' },
  'invalid-host': { status: 400, message: 'invalid Host header' },
  'invalid-target': { status: 400, message: 'invalid request target' },
  'method-not-allowed': { status: 405, message: 'method not allowed' },
  'headers-too-large': { status: 431, message: 'request headers too large' },
  'request-timeout': { status: 408, message: 'request timeout' },
  'internal-error': { status: 500, message: 'proxy internal error' },
} as const;

export type ReasonCode = keyof typeof REASONS;
