import { Transform, type Readable } from 'node:stream';
import type { ProxyRequest } from './types.ts';

/**
 * Largest request body the proxy holds in memory so it can send it again (retries) or twice (mirroring).
 * Bigger bodies, and chunked bodies of unknown size, are streamed once and never replayed.
 */
export const MAX_REPLAYABLE_BODY_BYTES = 64 * 1024;

/** True when the request carries a body (a declared length above zero, or chunked). */
export function hasBody(headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined }): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Makes the body replayable when it is small enough, by reading it into memory. Returns false (and leaves
 * the stream untouched) when it is too big or of unknown size; rejects when the client goes away.
 */
export async function makeReplayable(req: ProxyRequest): Promise<boolean> {
  const body = req.body;
  if (body === null || Buffer.isBuffer(body)) return true;
  // The forwarded headers lost transfer-encoding (hop-by-hop); the client's own headers still have it.
  const { 'content-length': declared, 'transfer-encoding': chunked } = req.incoming.headers;
  if (declared === undefined || chunked !== undefined) return false;
  const length = Number(declared);
  if (!Number.isFinite(length) || length > MAX_REPLAYABLE_BODY_BYTES) return false;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    // A client that sends more than it declared is cut off by Node's parser; this is only a guard.
    if (total > MAX_REPLAYABLE_BODY_BYTES) throw new Error('request body larger than declared');
    chunks.push(chunk);
  }
  req.body = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, total);
  return true;
}

/**
 * Replaces the request's body stream with one that keeps a copy of what passes, for a retry after the
 * body went out once. Returns what reads the copy: the whole body once it has ended, or undefined while
 * it has not, or when it was larger than MAX_REPLAYABLE_BODY_BYTES.
 */
export function recordBody(req: ProxyRequest): () => Buffer | undefined {
  const source = req.body as Readable;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const copy = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size <= MAX_REPLAYABLE_BODY_BYTES) chunks.push(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      ended = true;
      callback();
    },
  });
  source.on('error', (err: Error) => copy.destroy(err));
  source.pipe(copy);
  req.body = copy;
  return () => (ended && size <= MAX_REPLAYABLE_BODY_BYTES ? Buffer.concat(chunks, size) : undefined);
}
