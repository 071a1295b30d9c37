import { firstValue, type FailureKind, type HeaderMap, type ProxyResponse } from './types.ts';

/**
 * Every answer the proxy makes by itself, in one table: the status it sends, the x-trellis-reason code
 * and the first words of the body. Documented in docs/PROXY.md; keep the two in step.
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

/**
 * True for a 429 that a Trellis rate limiter gave (at the destination's proxy): what the outbound side
 * counts as rate-limited, unlike a 429 an app sends itself or one this proxy made.
 */
export function isTrellisRateLimited(response: ProxyResponse): boolean {
  return response.status === 429 && response.reason === undefined && firstValue(response.headers['x-trellis-reason']) === 'rate-limited';
}

/**
 * What a destination's proxy's answer says about its app, as a transport failure of the whole hop: its
 * app refused or never answered the connection (the request reached no app: `connect-failure`), or the
 * connection to its app broke mid-way (`reset`: it may have acted).
 */
const APP_FAILURES: Partial<Record<ReasonCode, FailureKind>> = {
  'upstream-connect-error': 'connect-failure',
  'upstream-connect-timeout': 'connect-failure',
  'no-local-app': 'connect-failure',
  'not-ready': 'connect-failure',
  'upstream-reset': 'reset',
};

/**
 * The failure an answer from another Trellis proxy stands for, when it says its app could not be reached
 * or broke off (then the caller retries and sets the endpoint aside as if the hop had failed). Only to be
 * believed from a proxy over mutual TLS: an app's x-trellis-* never get that far.
 */
export function appFailureOf(response: ProxyResponse): FailureKind | undefined {
  if (response.reason !== undefined || response.status < 500) return undefined;
  const reason = firstValue(response.headers['x-trellis-reason']);
  return reason === undefined ? undefined : APP_FAILURES[reason as ReasonCode];
}

/** A response made by the proxy: status from the table, text body "<message>: <detail>". */
export function proxyError(
  reason: ReasonCode,
  detail?: string,
  extra?: { status?: number; headers?: HeaderMap; failure?: FailureKind },
): ProxyResponse {
  const entry = REASONS[reason];
  const body = detail ? `${entry.message}: ${detail}\n` : `${entry.message}\n`;
  const headers: HeaderMap = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-trellis-reason': reason,
  };
  if (extra?.headers) Object.assign(headers, extra.headers);
  const response: ProxyResponse = { status: extra?.status ?? entry.status, headers, body, reason };
  if (extra?.failure) response.failure = extra.failure;
  return response;
}
