import { EC_P256, randomSerial, x509, type CryptoKey, type KeyPair } from './x509.ts';

/** Certificates start this far in the past, so a peer whose clock is a little behind accepts them. */
export const CLOCK_SKEW = 5 * 60_000;

/** A new root's id: its day and a random tail ("20261130-7e8c22"), shown in its name and in `trellis ca`. */
export function newRootId(now: number): string {
  return `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomSerial().slice(0, 6)}`;
}

const CA_USAGES = () => new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true);

/** A self-signed mesh root (ECDSA P-256) that may sign one level of intermediates. */
export async function rootCertificate(o: { id: string; trustDomain: string; keys: KeyPair; now: number; notAfter: Date }): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Trellis root ${o.id}, O=${o.trustDomain}`,
    notBefore: new Date(o.now - CLOCK_SKEW),
    notAfter: o.notAfter,
    keys: o.keys,
    signingAlgorithm: EC_P256,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), CA_USAGES(), await x509.SubjectKeyIdentifierExtension.create(o.keys.publicKey)],
  });
}

/** An intermediate under `root` (signed with `rootKey`) for `publicKey`: it signs workload certificates only. */
export async function intermediateCertificate(o: {
  rootId: string;
  trustDomain: string;
  root: x509.X509Certificate;
  rootKey: CryptoKey;
  publicKey: CryptoKey;
  now: number;
  notAfter: Date;
}): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=Trellis intermediate ${o.rootId}, O=${o.trustDomain}`,
    issuer: o.root.subject,
    notBefore: new Date(o.now - CLOCK_SKEW),
    notAfter: o.notAfter,
    signingKey: o.rootKey,
    publicKey: o.publicKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      CA_USAGES(),
      await x509.SubjectKeyIdentifierExtension.create(o.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(o.root),
    ],
  });
}
