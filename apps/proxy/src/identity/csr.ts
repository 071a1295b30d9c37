// A key pair made here and a PKCS#10 request for it (@peculiar/x509 on WebCrypto, no ASN.1 written by
// hand). The private key never leaves the process except into the 0600 last-good copy.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Typed as the DOM's Crypto, which Node's webcrypto is.
x509.cryptoProvider.set(webcrypto as never);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndRequest {
  /** PKCS#8 PEM, for the TLS contexts. */
  keyPem: string;
  /** The CSR, PEM: what is sent to the control plane. */
  csrPem: string;
}

/** A fresh ECDSA P-256 key and a request for a certificate on it. The control plane decides the identity. */
export async function newKeyAndRequest(): Promise<KeyAndRequest> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=trellis-proxy', keys, signingAlgorithm: EC_P256 });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}
