import type { HeaderMap } from './headers.ts';

// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus `expect`: the proxy
// answers 100-continue itself (Node does), and undici refuses to send it upstream.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** True for a header that describes one connection, not the message (always removed before forwarding, `te: trailers` on requests aside). */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/** Names the Connection header lists: they are hop-by-hop for this message too. */
export function listedInConnection(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const text = Array.isArray(connection) ? connection.join(',') : connection;
  // The common values name no extra header; skip the split on the hot path.
  if (text === 'keep-alive' || text === 'close' || text === 'Keep-Alive' || text === 'upgrade' || text === 'Upgrade') return undefined;
  const names = new Set<string>();
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

/** True for the headers only a Trellis proxy may set (x-trellis-source, x-trellis-reason, ...). */
export function isTrellisHeader(name: string): boolean {
  return name.charCodeAt(0) === 120 /* x */ && name.startsWith('x-trellis-');
}

/**
 * A copy of `headers` without hop-by-hop headers, ready to forward. `te: trailers` survives on requests,
 * as the RFC allows, because it is end-to-end information for gRPC-style servers. With `dropTrellis`,
 * x-trellis-* headers go too: only a proxy may set them, so those from an app, or from a caller that did
 * not come over mutual TLS, are removed at the first proxy they reach.
 */
export function withoutHopByHop(headers: HeaderMap, keepTeTrailers: boolean, dropTrellis = false): HeaderMap {
  const listed = listedInConnection(headers.connection);
  const out: HeaderMap = {};
  for (const name in headers) {
    // HTTP/2 pseudo-headers (:method, :path, :authority, :status) describe this hop's message framing.
    if (name.charCodeAt(0) === 58 /* : */) continue;
    if (HOP_BY_HOP.has(name)) {
      if (keepTeTrailers && name === 'te' && String(headers.te).toLowerCase().includes('trailers')) out.te = 'trailers';
      continue;
    }
    if (listed?.has(name) || (dropTrellis && isTrellisHeader(name))) continue;
    out[name] = headers[name];
  }
  return out;
}

/** Appends the client address to x-forwarded-for (a list, oldest first) and sets x-forwarded-proto. */
export function addForwardedHeaders(headers: HeaderMap, clientAddress: string | undefined): void {
  if (clientAddress) {
    const prior = headers['x-forwarded-for'];
    const ip = clientAddress.charCodeAt(0) === 58 /* : */ && clientAddress.startsWith('::ffff:') ? clientAddress.slice(7) : clientAddress;
    headers['x-forwarded-for'] = prior === undefined ? ip : `${Array.isArray(prior) ? prior.join(', ') : prior}, ${ip}`;
  }
  if (headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
}
