import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { writeRawResponse } from '../http/raw-response.ts';
import type { HeaderMap } from '../http/headers.ts';
import { transportErrorResponse } from './errors.ts';

/** Time allowed for the upstream to answer an upgrade request. */
const UPGRADE_TIMEOUT_MS = 10_000;

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
export function tunnel(
  req: IncomingMessage,
  clientSocket: Duplex,
  clientHead: Buffer,
  address: string,
  port: number,
  headers: HeaderMap,
  /** For an mTLS endpoint: the TLS options of the connection (our certificate, its expected identity). */
  tls?: ConnectionOptions,
): void {
  const upgrade = req.headers.upgrade ?? 'websocket';
  const options = {
    host: address,
    port,
    method: req.method,
    path: req.url,
    headers: { ...headers, connection: 'Upgrade', upgrade },
    agent: false,
    timeout: UPGRADE_TIMEOUT_MS,
  } as const;
  const upstreamReq = tls ? https.request({ ...options, ...tls }) : http.request(options);
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
