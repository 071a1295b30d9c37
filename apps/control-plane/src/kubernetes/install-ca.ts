import { EC_P256, generateKeyPair, privateKeyPem, randomSerial, x509 } from '../identity/x509.ts';

const DAY = 86_400_000;
const CLOCK_SKEW = 5 * 60_000;

/** A mesh CA for a cluster: the root proxies and the webhook's caller trust, the intermediate that signs. */
export interface InstallCa {
  /** The self-signed root (PEM): the webhook's caBundle and the proxies' first trust roots. */
  root: string;
  /** The intermediate, then the root: what the control plane's --ca-cert takes. */
  chain: string;
  /** The intermediate's key (PKCS#8 PEM): --ca-key. */
  key: string;
}

/**
 * Makes a root (10 years) and an intermediate (1 year) for `trellis install`, as `linkerd install` makes
 * its trust anchor: the control plane then runs with an operator-brought intermediate kept in a Secret,
 * so a restarted pod keeps the same CA. The root's key is not kept anywhere: rotating means a new install
 * of the Secret (docs/KUBERNETES.md).
 */
export async function createInstallCa(trustDomain: string, now = Date.now()): Promise<InstallCa> {
  const rootKeys = await generateKeyPair();
  const id = `${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomSerial().slice(0, 6)}`;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Trellis root ${id}, O=${trustDomain}`,
    notBefore: new Date(now - CLOCK_SKEW),
    notAfter: new Date(now + 3650 * DAY),
    keys: rootKeys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const keys = await generateKeyPair();
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=Trellis intermediate ${id}, O=${trustDomain}`,
    issuer: root.subject,
    notBefore: new Date(now - CLOCK_SKEW),
    notAfter: new Date(now + 365 * DAY),
    signingKey: rootKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  const rootPem = root.toString('pem');
  return { root: rootPem, chain: `${intermediate.toString('pem')}\n${rootPem}\n`, key: await privateKeyPem(keys.privateKey) };
}
