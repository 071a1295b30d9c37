// The stand-in control plane's CA, made at start: a root and an intermediate (ECDSA P-256, @peculiar/x509
// as the mesh CA uses), so proxies in the bench get certificates shaped like the real ones (leaf +
// intermediate, SAN URI only) and a TLS handshake between them costs what it costs in a mesh. Also the
// join tokens that pin its root, and leaves for the bench's own TLS clients.
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
export const TRUST_DOMAIN = 'trellis.local';
/** The identity a proxy checks the stream's server for (packages/shared/src/identity.ts). */
export const CONTROL_PLANE_ID = `spiffe://${TRUST_DOMAIN}/ns/trellis-system/sa/trellis-control-plane`;
const DAY = 86_400_000;
// Certificates start in the past, as the mesh CA dates them, so a clock a little behind accepts them.
const SKEW = 5 * 60_000;

/** spiffe://trellis.local/ns/<namespace>/sa/<service>: a workload's identity outside Kubernetes. */
export function workloadId(service, namespace = 'default') {
  return `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${service}`;
}

const serial = () => {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
};

const keyPem = async (key) => x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');

/** The pin a join token carries: sha256 of the root's SubjectPublicKeyInfo (rootPin in packages/shared). */
function pinOf(certPem) {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256-${createHash('sha256').update(spki).digest('base64url')}`;
}

/** Makes the CA; resolves with the root, the serving certificate of the stand-in, and what it signs. */
export async function createMeshCa() {
  const now = Date.now();
  const rootKeys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Trellis bench root, O=${TRUST_DOMAIN}`,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(now + 30 * DAY),
    keys: rootKeys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intKeys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=Trellis bench intermediate, O=${TRUST_DOMAIN}`,
    issuer: root.subject,
    notBefore: new Date(now - SKEW),
    notAfter: new Date(now + 30 * DAY),
    signingKey: rootKeys.privateKey,
    publicKey: intKeys.publicKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  const rootPem = root.toString('pem');
  const intermediatePem = intermediate.toString('pem');
  const pin = pinOf(rootPem);

  /** A certificate signed by the intermediate for `publicKey`, with `names` in its SAN; returns leaf + intermediate. */
  async function sign(publicKey, names, { server = false, ttlMs = DAY } = {}) {
    const at = Date.now();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: server ? 'CN=trellis-control-plane' : '',
      issuer: intermediate.subject,
      notBefore: new Date(at - SKEW),
      notAfter: new Date(at + ttlMs),
      signingKey: intKeys.privateKey,
      publicKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(server ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        // A workload certificate has an empty subject, so its SAN is critical (RFC 5280 4.2.1.6).
        new x509.SubjectAlternativeNameExtension(names, !server),
        await x509.AuthorityKeyIdentifierExtension.create(intermediate),
      ],
    });
    return { chain: `${leaf.toString('pem')}\n${intermediatePem}\n`, notAfter: leaf.notAfter.toISOString() };
  }

  /** A key and a certificate for `names`, made here (the stand-in's own, and the bench's TLS clients'). */
  async function issue(names, options) {
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const { chain } = await sign(keys.publicKey, names, options);
    return { key: await keyPem(keys.privateKey), cert: chain };
  }

  const serving = await issue(
    [
      { type: 'url', value: CONTROL_PLANE_ID },
      { type: 'ip', value: '127.0.0.1' },
    ],
    { server: true },
  );

  return {
    rootPem,
    pin,
    bundle: { version: 1, roots: [rootPem] },
    serving,
    /** Signs a proxy's CSR (PKCS#10 PEM) for `identity`: only its key is taken, as the mesh CA does. */
    async signRequest(csrPem, identity) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
      const publicKey = await csr.publicKey.export(EC_P256, ['verify']);
      const { chain, notAfter } = await sign(publicKey, [{ type: 'url', value: identity }]);
      return { chain, identity, notAfter };
    },
    /** A key and a workload certificate for `identity`, for a TLS client of the bench. */
    workloadLeaf: (identity) => issue([{ type: 'url', value: identity }]),
    /** A join token for a service, pinning this root: `<12 hex>.<43 base64url>.<pin>`. */
    joinToken: () => `${randomBytes(6).toString('hex')}.${randomBytes(32).toString('base64url')}.${pin}`,
  };
}
