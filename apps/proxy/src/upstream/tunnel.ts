import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { HeaderMap, ProxyResponse } from '../http/types.ts';
import { transportErrorResponse } from './errors.ts';

/** Time allowed for the upstream to answer an upgrade request. */
const UPGRADE_TIMEOUT_MS = 10_000;

/** Writes a complete proxy-made response (text body) on a raw socket and closes it. */
export function writeRawResponse(socket: Duplex, response: ProxyResponse): void {
  const body = typeof response.body === 'string' || Buffer.isBuffer(response.body) ? response.body : '';
  let text = `HTTP/1.1 ${response.status} ${http.STATUS_CODES[response.status] ?? ''}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined || name === 'connection') continue;
    for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r\n`;
  }
  socket.end(`${text}\r\n${body.toString()}`);
}

function head(status: number, statusMessage: string | undefined, rawHeaders: readonly string[]): string {
  let out = `HTTP/1.1 ${status} ${statusMessage ?? http.STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${out}\r\n`;
}

/**
 * Passes an HTTP upgrade (WebSocket) through to `address:port`: the upgrade request goes upstream with
 * its Connection/Upgrade headers, the upstream's 101 comes back, then bytes flow both ways untouched.
 * A refusal (any other status) is relayed as is.
 */
export function tunnel(req: IncomingMessage, clientSocket: Duplex, clientHead: Buffer, address: string, port: number, headers: HeaderMap): void {
  const upgrade = req.headers.upgrade ?? 'websocket';
  const upstreamReq = http.request({
    host: address,
    port,
    method: req.method,
    path: req.url,
    headers: { ...headers, connection: 'Upgrade', upgrade },
    agent: false,
    timeout: UPGRADE_TIMEOUT_MS,
  });
  clientSocket.on('error', () => upstreamReq.destroy());
  upstreamReq.on('timeout', () => upstreamReq.destroy(Object.assign(new Error('upgrade timed out'), { code: 'UND_ERR_HEADERS_TIMEOUT' })));
  upstreamReq.on('upgrade', (res, upstreamSocket, upstreamHead) => {
    upstreamReq.setTimeout(0);
    // A tunnel may stay quiet for long (WebSockets ping at their own pace): no idle cut-off on either side.
    (clientSocket as Socket).setTimeout?.(0);
    clientSocket.write(head(res.statusCode ?? 101, res.statusMessage, res.rawHeaders));
    if (upstreamHead.length > 0) clientSocket.write(upstreamHead);
    if (clientHead.length > 0) upstreamSocket.write(clientHead);
    const close = () => {
      clientSocket.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on('error', close).on('close', close);
    clientSocket.on('error', close).on('close', close);
    upstreamSocket.pipe(clientSocket).pipe(upstreamSocket);
  });
  upstreamReq.on('response', (res) => {
    clientSocket.write(head(res.statusCode ?? 502, res.statusMessage, res.rawHeaders));
    res.pipe(clientSocket);
  });
  upstreamReq.on('error', (err) => {
    if (clientSocket.destroyed) return;
    writeRawResponse(clientSocket, transportErrorResponse(err, `${address}:${port}`));
  });
  upstreamReq.end();
}
