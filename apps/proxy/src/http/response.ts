import { firstValue, type HeaderMap } from './headers.ts';
import { REASONS, type ReasonCode } from './reasons.ts';
import type { UpstreamBody } from './response-body.ts';

/** Why an attempt got no HTTP answer from upstream; retry conditions and outlier detection read it. */
export type FailureKind = 'connect-failure' | 'reset' | 'timeout' | 'protocol';

/** A response on its way back: from upstream (streamed body) or made by the proxy itself. */
export interface ProxyResponse {
  status: number;
  headers: HeaderMap;
  body: UpstreamBody | Buffer | string | null;
  /** Set when the proxy answered by itself; sent as x-trellis-reason. */
  reason?: ReasonCode;
  /** Set when the answer stands for a transport failure (no HTTP response from upstream). */
  failure?: FailureKind;
}

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
