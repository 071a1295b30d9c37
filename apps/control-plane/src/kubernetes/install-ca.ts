import { intermediateCertificate, newRootId, rootCertificate } from '../identity/ca-certificates.ts';
import { generateKeyPair, privateKeyPem } from '../identity/x509.ts';

const DAY = 86_400_000;

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
  const id = newRootId(now);
  const root = await rootCertificate({ id, trustDomain, keys: rootKeys, now, notAfter: new Date(now + 3650 * DAY) });
  const keys = await generateKeyPair();
  const intermediate = await intermediateCertificate({
    rootId: id,
    trustDomain,
    root,
    rootKey: rootKeys.privateKey,
    publicKey: keys.publicKey,
    now,
    notAfter: new Date(now + 365 * DAY),
  });
  const rootPem = root.toString('pem');
  return { root: rootPem, chain: `${intermediate.toString('pem')}\n${rootPem}\n`, key: await privateKeyPem(keys.privateKey) };
}
