// Certificates for the stream client's tests, made at run time: a root, the control plane's serving
// certificate (its SPIFFE ID in the SAN), and the same for a second, unrelated CA.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Typed as the DOM's Crypto, which Node's webcrypto is.
x509.cryptoProvider.set(webcrypto as never);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR = 365 * 86_400_000;

export interface TestPki {
  root: string;
  /** A leaf signed by the root for `uri` (key PEM + cert PEM). */
  leaf(uri: string): Promise<{ key: string; cert: string }>;
}

export async function testPki(name: string): Promise<TestPki> {
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + YEAR),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  let serial = 1;
  return {
    root: root.toString('pem'),
    async leaf(uri) {
      const leafKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (++serial).toString(16).padStart(2, '0'),
        subject: 'CN=test',
        issuer: root.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + YEAR),
        signingKey: keys.privateKey,
        publicKey: leafKeys.publicKey,
        signingAlgorithm: alg,
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }, { type: 'ip', value: '127.0.0.1' }])],
      });
      const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
      return { key, cert: cert.toString('pem') };
    },
  };
}

export const CONTROL_PLANE_ID = 'spiffe://trellis.local/ns/trellis-system/sa/trellis-control-plane';
