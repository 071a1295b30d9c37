import type http from 'node:http';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function isLoopbackPeer(req: http.IncomingMessage): boolean {
  return LOOPBACK.has(req.socket.remoteAddress ?? '');
}

/**
 * The client's address for throttling. The dashboard proxies browsers' calls from this machine and says
 * who the browser was in X-Forwarded-For; that header is believed only from a loopback peer.
 */
export function clientAddress(req: http.IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first && isLoopbackPeer(req) ? first : peer;
}

/** Whether the browser reached us over HTTPS (directly, or through the dashboard on this machine). */
export function isHttps(req: http.IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return isLoopbackPeer(req) && req.headers['x-forwarded-proto'] === 'https';
}

/** A cross-site request by the browser's own account (Fetch Metadata); absent in older browsers and non-browsers. */
export function isCrossSite(req: http.IncomingMessage): boolean {
  return req.headers['sec-fetch-site'] === 'cross-site';
}

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a small JSON body (sign-in forms); refuses more than `limit` bytes. */
export async function readJson(req: http.IncomingMessage, limit = 16_384): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error(`body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  return JSON.parse(text) as unknown;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

/** An error answer in the same shape as tRPC's, so clients read one kind of error. */
export function sendError(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string | string[]> = {}): void {
  sendJson(res, status, { error: { message, code, httpStatus: status } }, headers);
}

export function redirect(res: http.ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...(cookies.length ? { 'set-cookie': cookies } : {}) }).end();
}
