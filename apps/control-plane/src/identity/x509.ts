// The one door to @peculiar/x509 (certificates and CSRs on WebCrypto; no ASN.1 written here). Its
// dependency injection needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Typed as the DOM's Crypto, which Node's webcrypto is.
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
export { rootPin } from '@trellis/shared/node';

/** ECDSA on P-256 with SHA-256: every key and signature of the mesh CA. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type CryptoKey = webcrypto.CryptoKey;
export type KeyPair = webcrypto.CryptoKeyPair;
export type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;

export async function generateKeyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** Reads a PKCS#8 EC P-256 private key (PEM) and derives its public key from the certificate it belongs to. */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, true, ['sign']);
}

/** A random positive serial number, hex (RFC 5280: at most 20 bytes; 16 random ones). */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
