import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProxyResponse } from './response.ts';

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
