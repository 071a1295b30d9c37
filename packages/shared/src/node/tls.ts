import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { parseSpiffeId } from '../identity.ts';

/** The first byte of a TLS handshake record (ContentType handshake). */
const TLS_HANDSHAKE = 0x16;

/**
 * Waits for a new connection's first bytes and hands it to `onTls` when they start a TLS handshake, or to
 * `onPlain` otherwise, with nothing consumed: one port serves both (the control plane's API and its TLS
 * proxy stream; a PERMISSIVE inbound listener's mTLS and plain callers). A client that sends nothing
 * within `timeoutMs` is dropped. Listen with `pauseOnConnect: true` so no byte is read before this.
 */
export function sniffTls(socket: Socket, onTls: (socket: Socket) => void, onPlain: (socket: Socket) => void, timeoutMs: number): void {
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onError = () => clearTimeout(timer);
  socket.once('error', onError);
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.off('error', onError);
    socket.pause();
    socket.unshift(chunk);
    if (chunk[0] === TLS_HANDSHAKE) {
      // A TLS socket reads what is already buffered on the socket it wraps.
      onTls(socket);
    } else {
      onPlain(socket);
      // An HTTP server reads the socket's handle directly; the first bytes, back in the socket's own
      // buffer, reach it only as the stream flows again.
      socket.resume();
    }
  });
  socket.resume();
}

/** The Trellis SPIFFE ID in a peer certificate's subjectAltName ("URI:spiffe://..."), if it has one. */
export function spiffeIdOf(cert: { subjectaltname?: string } | undefined): string | undefined {
  const san = cert?.subjectaltname;
  if (!san) return undefined;
  for (const entry of san.split(', ')) {
    if (entry.startsWith('URI:spiffe://') && parseSpiffeId(entry.slice(4))) return entry.slice(4);
  }
  return undefined;
}

/**
 * The pin of a root certificate (PEM): sha256 of its SubjectPublicKeyInfo, "sha256-<base64url>", what a
 * join token carries.
 */
export function rootPin(certPem: string): string {
  let pin = pins.get(certPem);
  if (pin === undefined) {
    const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    pin = `sha256-${createHash('sha256').update(spki).digest('base64url')}`;
    // A mesh has a root or two: parsing them again at every reconnect of every stream client (thousands
    // in a simulation, or a node agent's workloads) cost more CPU than the TLS handshake itself.
    if (pins.size >= MAX_PINS) pins.clear();
    pins.set(certPem, pin);
  }
  return pin;
}

const MAX_PINS = 64;
const pins = new Map<string, string>();
