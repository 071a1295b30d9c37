import http, { type IncomingMessage } from 'node:http';
import { REASONS, type ReasonCode } from './reasons.ts';
import type { HeaderMap } from './headers.ts';

// RFC 9112 §3.2: what a server must refuse in a request's target and Host before doing anything with it.
// The outbound proxy routes by Host, so a request that names its authority twice, or not at all, or in
// a form the proxy cannot forward, gets 400 with a reason code instead of reaching some service.

/** A request head the proxy refuses: its reason (a row of REASONS) and what exactly was wrong. */
export interface HeadRefusal {
  reason: ReasonCode;
  detail: string;
}

/**
 * RFC 9110 §7.2: uri-host [":" port], where uri-host is an IP-literal ("[...]") or a reg-name
 * (unreserved, sub-delims, %XX). An empty value is allowed (a target URI without authority).
 * The alternatives start with disjoint characters, so matching is linear.
 */
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/** How many Host lines the request has (any letter case): Node keeps only the first in `headers`. */
function countHostLines(incoming: IncomingMessage): number {
  const raw = incoming.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

interface HeadFacts {
  incoming: IncomingMessage;
  hostLines: number;
}

/** The Host rules, in order: the first that finds a problem decides. */
const HOST_RULES: ReadonlyArray<(head: HeadFacts) => HeadRefusal | undefined> = [
  ({ hostLines: lines }) => (lines > 1 ? { reason: 'duplicate-host', detail: `the request has ${lines} Host header lines; send exactly one` } : undefined),
  // HTTP/1.0 has no Host requirement; 1.1 does.
  ({ incoming, hostLines: lines }) =>
    lines === 0 && incoming.httpVersionMajor === 1 && incoming.httpVersionMinor >= 1
      ? { reason: 'missing-host', detail: 'an HTTP/1.1 request must carry a Host header naming the service' }
      : undefined,
  ({ incoming: { headers } }) =>
    headers.host === undefined || HOST_VALUE.test(headers.host)
      ? undefined
      : { reason: 'invalid-host', detail: `${JSON.stringify(headers.host.slice(0, 100))} is not host[:port]` },
];

/**
 * The origin-form target ("/path?query") to forward, or why the request cannot be forwarded. Apps that
 * treat the outbound listener as an HTTP proxy (HTTP_PROXY) send the absolute form
 * ("http://reviews/path"): its authority replaces the Host header (RFC 9112 §3.2.2).
 */
function originForm(method: string, url: string, headers: HeaderMap): string | HeadRefusal {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  if (url === '*') {
    const detail = method === 'OPTIONS' ? 'OPTIONS * (asterisk-form) is not forwarded; ask about a path instead' : `asterisk-form is for OPTIONS only, not ${method}`;
    return { reason: 'invalid-target', detail };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { reason: 'invalid-target', detail: 'the target is neither a path ("/...") nor an absolute http:// URL' };
  }
  if (parsed.protocol !== 'http:') {
    return { reason: 'invalid-target', detail: `only http:// absolute targets are forwarded, not ${parsed.protocol}//` };
  }
  if (parsed.username || parsed.password) return { reason: 'invalid-target', detail: 'an http:// target must not carry user information (user@host)' };
  if (!parsed.host) return { reason: 'invalid-target', detail: 'the absolute target names no host' };
  headers.host = parsed.host;
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * Checks a request's Host header(s) and target; returns the origin-form target to forward (setting
 * `headers.host` from an absolute-form target), or the refusal.
 */
export function readRequestHead(incoming: IncomingMessage, headers: HeaderMap): string | HeadRefusal {
  const facts: HeadFacts = { incoming, hostLines: countHostLines(incoming) };
  for (const rule of HOST_RULES) {
    const refusal = rule(facts);
    if (refusal) return refusal;
  }
  return originForm(incoming.method ?? 'GET', incoming.url ?? '/', headers);
}

/** The methods the proxy forwards, for the Allow header of its 405 (CONNECT tunnels are not offered). */
const FORWARDED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE';

/**
 * A complete HTTP/1.1 answer written straight to the socket, for requests that never become a
 * ServerResponse (CONNECT, refused upgrades); the connection closes after it.
 */
export function rawRefusal(refusal: HeadRefusal): string {
  const { status, message } = REASONS[refusal.reason];
  const body = `${message}: ${refusal.detail}\n`;
  const allow = status === 405 ? `allow: ${FORWARDED_METHODS}\r\n` : '';
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n${allow}x-trellis-reason: ${refusal.reason}\r\n\r\n${body}`
  );
}

/** CONNECT asks for a TCP tunnel, which the proxy does not offer: 405 with Allow. */
export const CONNECT_REFUSAL: HeadRefusal = {
  reason: 'method-not-allowed',
  detail: 'CONNECT (a TCP tunnel) is not supported; send plain HTTP requests with the service in the Host header',
};

/**
 * Only WebSocket upgrades are tunnelled. Any other protocol, h2c above all, would hand the client a raw
 * connection to the app on which its later requests pass no proxy check (h2c upgrade smuggling).
 */
export function upgradeRefusal(incoming: IncomingMessage): HeadRefusal | undefined {
  const upgrade = incoming.headers.upgrade ?? '';
  if (upgrade.trim().toLowerCase() === 'websocket') return undefined;
  return {
    reason: 'bad-request',
    detail: `only WebSocket upgrades pass the proxy, not ${JSON.stringify(upgrade.slice(0, 50))}; HTTP/2 clients connect with prior knowledge`,
  };
}
