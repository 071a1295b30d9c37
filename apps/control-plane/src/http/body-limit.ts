import type { IncomingMessage, ServerResponse } from 'node:http';

/** The API's request body limit unless `--max-body-bytes` says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** tRPC's JSON-RPC number for PAYLOAD_TOO_LARGE, so tRPC clients read the 413 as an error of that code. */
const PAYLOAD_TOO_LARGE = -32413;

/**
 * How long a refused upload may go on being read (and thrown away) after its 413, so a client that
 * sends its whole body before reading the answer still gets it; past that the connection is cut.
 */
const DISCARD_MS = 5_000;

function refuse(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const message =
    `the request body is larger than ${limit} bytes, the control plane's limit; send less (split a large apply into several), ` +
    `or start the control plane with a larger --max-body-bytes`;
  const body = JSON.stringify({ error: { message, code: PAYLOAD_TOO_LARGE, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, maxBodyBytes: limit } } });
  // No `connection: close`: Node closes such a connection as soon as the answer is written, and a client
  // still sending then gets a reset that can discard the 413 unread (EPIPE in fetch, about half the time
  // for a 1-7 MB body from another process). Instead the rest is read and thrown away, and the connection
  // stays usable.
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), DISCARD_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
}

/**
 * Reads the body of an API request, up to `limit` bytes, into `req.body` (tRPC uses a body that is
 * already there) and then calls `next`; a larger body gets 413 naming the limit, and what was read of it
 * is dropped. GET and HEAD carry their input in the URL, which the server's header limit bounds.
 */
export function readBoundedBody(req: IncomingMessage, res: ServerResponse, limit: number, next: () => void): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
    next();
    return;
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    refuse(req, res, limit);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) {
      chunks.push(chunk);
      return;
    }
    // A chunked (or lying) body that crossed the limit while it arrived.
    req.off('data', onData);
    req.off('end', onEnd);
    chunks.length = 0;
    refuse(req, res, limit);
  };
  const onEnd = () => {
    (req as IncomingMessage & { body?: string }).body = Buffer.concat(chunks, size).toString('utf8');
    next();
  };
  req.on('data', onData);
  req.on('end', onEnd);
}
