// Certificates for attacking and probing proxies in tests: leaves signed by the control plane's own
// intermediate (read from its data directory, as only someone holding the CA key could), and by an
// unrelated CA. Made with the same library the mesh CA uses.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

// Typed as the DOM's Crypto, which Node's webcrypto is.
x509.cryptoProvider.set(webcrypto as never);
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestIssuer {
  /** Roots to trust for this issuer's certificates. */
  roots: string[];
  /** A key and a chain for `identity`, valid from `from` to `to` (ms since the epoch). */
  leaf(identity: string, from?: number, to?: number): Promise<{ key: string; cert: string }>;
}

function issuer(signingKey: webcrypto.CryptoKey, issuerCert: x509.X509Certificate, chainTail: string, roots: string[]): TestIssuer {
  return {
    roots,
    async leaf(identity, from = Date.now() - 60_000, to = Date.now() + 3_600_000) {
      const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
        subject: '',
        issuer: issuerCert.subject,
        notBefore: new Date(from),
        notAfter: new Date(to),
        signingKey,
        publicKey: keys.publicKey,
        signingAlgorithm: alg,
        extensions: [
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: 'url', value: identity }], true),
        ],
      });
      const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
      return { key, cert: `${cert.toString('pem')}\n${chainTail}` };
    },
  };
}

/** Signs with the control plane's own intermediate (from `<dataDir>/ca`). */
export async function meshIssuer(dataDir: string): Promise<TestIssuer> {
  const dir = path.join(dataDir, 'ca');
  const { issuingRoot } = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { issuingRoot: string };
  const intermediate = readFileSync(path.join(dir, `${issuingRoot}.intermediate.crt`), 'utf8');
  const keyDer = x509.PemConverter.decodeFirst(readFileSync(path.join(dir, `${issuingRoot}.intermediate.key`), 'utf8'));
  const key = await webcrypto.subtle.importKey('pkcs8', keyDer, alg, false, ['sign']);
  return issuer(key, new x509.X509Certificate(intermediate), intermediate, [readFileSync(path.join(dir, `${issuingRoot}.root.crt`), 'utf8')]);
}

/** A CA that has nothing to do with the mesh. */
export async function foreignIssuer(): Promise<TestIssuer> {
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Someone else',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return issuer(keys.privateKey, root, '', [root.toString('pem')]);
}
