import { randomFillSync } from 'node:crypto';
import { firstValue as first, type HeaderMap } from './headers.ts';

/** W3C trace context of one request as the proxy sees it. */
export interface TraceContext {
  traceId: string;
  /** The caller's span, when the request carried one. */
  parentSpanId: string | undefined;
  /** The span this proxy opens for the request (the server span on the inbound side). */
  spanId: string;
  sampled: boolean;
}

// Ids come from one random pool refilled 8 KiB at a time: one syscall per ~170 requests instead of one per id.
const POOL_SIZE = 8192;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** Random bytes of the pool, `n` at a time; refills it when it runs out. */
function takeRandom(n: number): number {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

// Trace and span ids are slices of a string of 64 random hex digits, decoded at once: a Buffer-to-string
// call costs more than the 16 or 32 digits it decodes, while a slice of 13 characters or more is a view
// V8 makes without copying. 64 digits are one request's ids (a trace id and two span ids); no more, since
// a slice keeps its whole string alive as long as a span waiting in the buffer keeps the id.
const HEX_CHUNK_BYTES = 32;
let hexChunk = '';
let hexOffset = 0;

function randomHex(bytes: number): string {
  const digits = bytes * 2;
  if (hexOffset + digits > hexChunk.length) {
    const at = takeRandom(HEX_CHUNK_BYTES);
    hexChunk = pool.toString('hex', at, at + HEX_CHUNK_BYTES);
    hexOffset = 0;
  }
  const hex = hexChunk.slice(hexOffset, hexOffset + digits);
  hexOffset += digits;
  return hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

const HEX_DIGITS = '0123456789abcdef';
const uuid = Buffer.alloc(36);

/**
 * A random (version 4) UUID for x-request-id, from the same pool. Written into one buffer and read out
 * as one string: crypto.randomUUID builds its string from ~20 pieces, ~0.6 KB of garbage per request.
 */
export function newRequestId(): string {
  const from = takeRandom(16);
  let at = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool[from + i] ?? 0;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    if (i === 4 || i === 6 || i === 8 || i === 10) uuid[at++] = 0x2d; // -
    uuid[at++] = HEX_DIGITS.charCodeAt(byte >> 4);
    uuid[at++] = HEX_DIGITS.charCodeAt(byte & 0x0f);
  }
  return uuid.toString('latin1', 0, 36);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
const HEX = /^[0-9a-f]+$/;


/** The trace context a request carries: W3C traceparent first, then B3 (single or multi header). */
export function readTraceContext(headers: HeaderMap): { traceId: string; parentSpanId: string; sampled: boolean | undefined } | undefined {
  const tp = first(headers.traceparent);
  if (tp !== undefined) {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN) {
      return { traceId: m[2] ?? '', parentSpanId: m[3] ?? '', sampled: (parseInt(m[4] ?? '0', 16) & 1) === 1 };
    }
  }
  const b3 = first(headers.b3);
  if (b3 !== undefined) {
    const [traceId, spanId, flag] = b3.trim().toLowerCase().split('-');
    const parsed = fromB3(traceId, spanId, flag);
    if (parsed) return parsed;
  }
  const b3Trace = first(headers['x-b3-traceid']);
  if (b3Trace !== undefined) {
    const flag = first(headers['x-b3-flags']) === '1' ? 'd' : first(headers['x-b3-sampled']);
    return fromB3(b3Trace.trim().toLowerCase(), first(headers['x-b3-spanid'])?.trim().toLowerCase(), flag);
  }
  return undefined;
}

function fromB3(traceId: string | undefined, spanId: string | undefined, flag: string | undefined) {
  if (!traceId || !spanId || !HEX.test(traceId) || !HEX.test(spanId)) return undefined;
  if ((traceId.length !== 16 && traceId.length !== 32) || spanId.length !== 16) return undefined;
  // 64-bit B3 trace ids are left-padded to W3C's 128 bits, as the B3 spec says.
  const sampled = flag === undefined ? undefined : flag === '1' || flag === 'd' || flag === 'true';
  return { traceId: traceId.padStart(32, '0'), parentSpanId: spanId, sampled };
}

/** The traceparent header value naming `spanId` as the parent of whatever the next hop does. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * The sampling decision for a new trace, derived from the trace id so that every proxy on the path
 * decides the same way without talking to each other.
 */
export function sampleTrace(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return parseInt(traceId.slice(24), 16) / 0x1_0000_0000 < ratio;
}
