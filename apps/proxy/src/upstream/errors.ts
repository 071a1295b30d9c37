import type { ReasonCode } from '../http/reasons.ts';
import { proxyError } from '../http/response.ts';
import type { FailureKind, ProxyResponse } from '../http/response.ts';

/**
 * The one table from transport errors (Node and undici codes) to what the caller sees. Connect failures
 * mean nothing reached the upstream (always safe to retry); resets may come after the upstream acted.
 */
const TRANSPORT_ERRORS: Record<string, { reason: ReasonCode; failure: FailureKind | undefined }> = {
  // The request itself could not be sent (a header value undici refuses): the caller's fault, not the
  // endpoint's, so no failure kind (nothing to retry, nothing for outlier detection).
  UND_ERR_INVALID_ARG: { reason: 'bad-request', failure: undefined },
  ECONNREFUSED: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  EHOSTUNREACH: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  ENETUNREACH: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  EADDRNOTAVAIL: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  ENOTFOUND: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  EAI_AGAIN: { reason: 'upstream-connect-error', failure: 'connect-failure' },
  UND_ERR_CONNECT_TIMEOUT: { reason: 'upstream-connect-timeout', failure: 'connect-failure' },
  ECONNRESET: { reason: 'upstream-reset', failure: 'reset' },
  EPIPE: { reason: 'upstream-reset', failure: 'reset' },
  UND_ERR_SOCKET: { reason: 'upstream-reset', failure: 'reset' },
  UND_ERR_CLOSED: { reason: 'upstream-reset', failure: 'reset' },
  UND_ERR_HEADERS_TIMEOUT: { reason: 'timeout', failure: 'timeout' },
  UND_ERR_BODY_TIMEOUT: { reason: 'idle-timeout', failure: 'timeout' },
  UND_ERR_HEADERS_OVERFLOW: { reason: 'upstream-protocol-error', failure: 'protocol' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { reason: 'upstream-protocol-error', failure: 'protocol' },
  HPE_INVALID_CONSTANT: { reason: 'upstream-protocol-error', failure: 'protocol' },
  // The endpoint's certificate is valid but not for the identity the snapshot expects (checkServerIdentity).
  ERR_TLS_PEER_IDENTITY: { reason: 'upstream-identity-mismatch', failure: 'connect-failure' },
  // Any other failed handshake: an unknown CA, an expired or missing certificate, an alert from the peer.
  ERR_TLS: { reason: 'upstream-tls-error', failure: 'connect-failure' },
};

/** OpenSSL's certificate verification codes, and Node's and OpenSSL's TLS error codes. */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|SELF_SIGNED_|DEPTH_ZERO_|UNABLE_TO_GET_ISSUER)/;

const FALLBACK: { reason: ReasonCode; failure: FailureKind | undefined } = { reason: 'upstream-reset', failure: 'reset' };

/** The table's row for a transport error (undici wraps some socket errors; the telling code may sit on the cause). */
function entryFor(err: unknown): { code: string; entry: { reason: ReasonCode; failure: FailureKind | undefined } } {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code && TRANSPORT_ERRORS[e.code] ? e.code : (e.cause?.code ?? e.code ?? '');
  const entry =
    TRANSPORT_ERRORS[code] ??
    (code.startsWith('HPE_') ? TRANSPORT_ERRORS.HPE_INVALID_CONSTANT : TLS_CODE.test(code) ? TRANSPORT_ERRORS.ERR_TLS : undefined) ??
    FALLBACK;
  return { code, entry };
}

/** The response that stands for a failed attempt to `target` ("address:port"), keeping the cause in the body. */
export function transportErrorResponse(err: unknown, target: string): ProxyResponse {
  const { code, entry } = entryFor(err);
  const detail = `${target}: ${code ? `${code} ` : ''}${(err as Error).message}`;
  return entry.failure ? proxyError(entry.reason, detail, { failure: entry.failure }) : proxyError(entry.reason, detail);
}

/** Why a response body broke off after its head (idle-timeout, upstream-reset, ...), by the same table. */
export function transportErrorReason(err: unknown): ReasonCode {
  return entryFor(err).entry.reason;
}
