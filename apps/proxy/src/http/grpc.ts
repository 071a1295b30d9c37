import type { IncomingHttpHeaders } from 'node:http';
import { REASONS, type ReasonCode } from './reasons.ts';
import { firstValue, type HeaderMap } from './headers.ts';
import type { ProxyResponse } from './response.ts';
import type { ProxyRequest } from './types.ts';

// gRPC over HTTP/2 (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): what the proxy needs
// to know of it. A call's outcome is its grpc-status (in the trailers, or in the head of a trailers-only
// answer), not its HTTP status, which is 200 for every answer a gRPC server makes.

/** gRPC status codes by name, the ones the proxy itself uses or reads. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** RetryPolicy retryOn names of gRPC status codes. */
export const GRPC_RETRY_ON: Partial<Record<number, string>> = {
  [GRPC_STATUS.CANCELLED]: 'cancelled',
  [GRPC_STATUS.DEADLINE_EXCEEDED]: 'deadline-exceeded',
  [GRPC_STATUS.RESOURCE_EXHAUSTED]: 'resource-exhausted',
  [GRPC_STATUS.INTERNAL]: 'internal',
  [GRPC_STATUS.UNAVAILABLE]: 'unavailable',
};

/** gRPC outcomes that are the server's failure, as a 5xx is: a span with one is an error span. */
const SERVER_ERRORS = new Set<number>([GRPC_STATUS.UNKNOWN, GRPC_STATUS.DEADLINE_EXCEEDED, GRPC_STATUS.INTERNAL, GRPC_STATUS.UNAVAILABLE, 15 /* DATA_LOSS */]);

export function isGrpcServerError(status: number | undefined): boolean {
  return status !== undefined && SERVER_ERRORS.has(status);
}

/** True for a gRPC call (application/grpc, application/grpc+proto, ...); gRPC-Web is not gRPC on the wire. */
export function isGrpc(req: ProxyRequest): boolean {
  const type = req.header('content-type');
  return type !== undefined && type.startsWith('application/grpc') && !type.startsWith('application/grpc-web');
}

/** The grpc-status in a set of headers or trailers, if there is one. */
export function grpcStatusIn(headers: HeaderMap | IncomingHttpHeaders | undefined): number | undefined {
  const value = headers ? firstValue(headers['grpc-status']) : undefined;
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** The proxy's own answers that say more than their HTTP status does in gRPC terms. */
const BY_REASON: Partial<Record<ReasonCode, number>> = {
  timeout: GRPC_STATUS.DEADLINE_EXCEEDED,
  'idle-timeout': GRPC_STATUS.DEADLINE_EXCEEDED,
  'upstream-connect-timeout': GRPC_STATUS.UNAVAILABLE,
  'rate-limited': GRPC_STATUS.RESOURCE_EXHAUSTED,
  'unknown-service': GRPC_STATUS.UNIMPLEMENTED,
  'no-route': GRPC_STATUS.UNIMPLEMENTED,
  'mtls-required': GRPC_STATUS.UNAUTHENTICATED,
  'upstream-protocol-error': GRPC_STATUS.INTERNAL,
  'internal-error': GRPC_STATUS.INTERNAL,
};

/** HTTP status -> gRPC status, as gRPC's own clients map a non-gRPC answer (PROTOCOL-HTTP2.md). */
function fromHttpStatus(status: number): number {
  if (status === 400) return GRPC_STATUS.INTERNAL;
  if (status === 401) return GRPC_STATUS.UNAUTHENTICATED;
  if (status === 403) return GRPC_STATUS.PERMISSION_DENIED;
  if (status === 404) return GRPC_STATUS.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return GRPC_STATUS.UNAVAILABLE;
  return GRPC_STATUS.UNKNOWN;
}

/** The gRPC status that stands for one of the proxy's own answers. */
export function grpcStatusOf(response: ProxyResponse): number {
  return (response.reason && BY_REASON[response.reason]) ?? fromHttpStatus(response.status);
}

/**
 * The proxy's own answer as a gRPC caller understands it: HTTP 200, trailers-only, grpc-status and
 * grpc-message (percent-encoded, as the spec asks), x-trellis-reason kept. Anything else would reach a
 * gRPC client as a bare "UNKNOWN: received HTTP status 503".
 */
export function asGrpcError(response: ProxyResponse): ProxyResponse {
  const text = typeof response.body === 'string' ? response.body.trim() : (response.reason ?? 'proxy error');
  const headers: HeaderMap = {
    'content-type': 'application/grpc',
    'grpc-status': String(grpcStatusOf(response)),
    'grpc-message': percentEncode(text),
  };
  for (const name of ['x-trellis-reason', 'retry-after']) if (response.headers[name] !== undefined) headers[name] = response.headers[name];
  return { ...response, status: 200, headers, body: null };
}

/**
 * The trailers that end a gRPC answer whose upstream body broke off after its head (an idle timeout, a
 * reset): the caller reads the status, e.g. DEADLINE_EXCEEDED, instead of a reset stream.
 */
export function grpcTrailersFor(reason: ReasonCode): Record<string, string> {
  const { status, message } = REASONS[reason];
  return {
    'grpc-status': String(grpcStatusOf({ status, reason, headers: {}, body: null })),
    'grpc-message': percentEncode(`${message} after the response began`),
    'x-trellis-reason': reason,
  };
}

/** grpc-message's encoding: bytes outside printable ASCII, and '%', as %XX (UTF-8). */
function percentEncode(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]+/g, (run) => encodeURIComponent(run));
}

/** The gRPC-Timeout header as milliseconds (e.g. "250m", "2S", "100000u"); undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2];
  const ms = unit === 'H' ? n * 3_600_000 : unit === 'M' ? n * 60_000 : unit === 'S' ? n * 1000 : unit === 'm' ? n : unit === 'u' ? n / 1000 : n / 1_000_000;
  return Math.max(1, Math.ceil(ms));
}

/** Milliseconds as a gRPC-Timeout header value. */
export function formatGrpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}
