import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MeshCA, CsrError } from '../src/identity/ca.ts';
import { EC_P256, generateKeyPair, x509 } from '../src/identity/x509.ts';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'trellis-ca-'));
async function csr(keys?: CryptoKeyPair) {
  const pair = keys ?? (await generateKeyPair());
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys: pair, signingAlgorithm: EC_P256 })).toString('pem');
}
type CryptoKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('the mesh CA', () => {
  it('makes a root and an intermediate on first start, keys readable by the owner only, and loads them again', async () => {
    const dataDir = await tmp();
    const ca = await MeshCA.open({ trustDomain: 'trellis.local', dataDir });
    const files = await readdir(path.join(dataDir, 'ca'));
    expect(files.filter((f) => f.endsWith('.key'))).toHaveLength(2);
    for (const f of files.filter((f) => f.endsWith('.key'))) expect((await stat(path.join(dataDir, 'ca', f))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, 'ca'))).mode & 0o777).toBe(0o700);
    const again = await MeshCA.open({ trustDomain: 'trellis.local', dataDir });
    expect(again.bundle()).toEqual(ca.bundle());
    expect(again.issuing).toEqual(ca.issuing);
  });

  it('signs a workload certificate for the identity it is told, whatever the request asks, chained to the root', async () => {
    const ca = await MeshCA.open({ trustDomain: 'trellis.local', dataDir: await tmp() });
    const leaf = await ca.signWorkload(await csr(), 'spiffe://trellis.local/ns/shop/sa/cart', 3_600_000);
    const [cert, intermediate] = (leaf.chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
    expect(cert?.subjectAltName).toBe('URI:spiffe://trellis.local/ns/shop/sa/cart');
    expect(cert && intermediate && cert.checkIssued(intermediate)).toBe(true);
    expect(intermediate?.verify(new X509Certificate(ca.bundle().roots[0] ?? '').publicKey)).toBe(true);
    expect(leaf.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(ca.rootOf(leaf.chain)).toBe(ca.issuing.rootId);
  });

  it('refuses a request that is not PKCS#10, or whose key is not ECDSA P-256', async () => {
    const ca = await MeshCA.open({ trustDomain: 'trellis.local', dataDir: await tmp() });
    await expect(ca.signWorkload('hello', 'spiffe://trellis.local/ns/a/sa/b', 60_000)).rejects.toBeInstanceOf(CsrError);
    const { webcrypto } = await import('node:crypto');
    const p384 = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    const request = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys: p384, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } })).toString('pem');
    await expect(ca.signWorkload(request, 'spiffe://trellis.local/ns/a/sa/b', 60_000)).rejects.toThrow(/must be ECDSA P-256/);
  });

  it('uses an intermediate the operator brings, keeping nothing on disk, and says what is wrong with a bad one', async () => {
    const source = await tmp();
    const own = await MeshCA.open({ trustDomain: 'trellis.local', dataDir: source });
    const { rootId } = own.issuing;
    const dir = path.join(source, 'ca');
    const intermediate = await readFile(path.join(dir, `${rootId}.intermediate.crt`), 'utf8');
    const root = await readFile(path.join(dir, `${rootId}.root.crt`), 'utf8');
    const chainFile = path.join(source, 'chain.pem');
    await writeFile(chainFile, `${intermediate}\n${root}`);
    const dataDir = await tmp();
    const operator = await MeshCA.open({ trustDomain: 'trellis.local', dataDir, operator: { certFile: chainFile, keyFile: path.join(dir, `${rootId}.intermediate.key`) } });
    expect(operator.operatorManaged).toBe(true);
    expect(operator.bundle().roots).toEqual([root]);
    expect(operator.issuing.pin).toBe(own.issuing.pin);
    await expect(readdir(path.join(dataDir, 'ca'))).rejects.toThrow();
    await expect(operator.addIncomingRoot()).rejects.toThrow(/brought \(--ca-cert\)/);
    // Without the root in the file, and with a key that is not the certificate's.
    const noRoot = path.join(source, 'no-root.pem');
    await writeFile(noRoot, intermediate);
    await expect(MeshCA.open({ trustDomain: 'trellis.local', dataDir, operator: { certFile: noRoot, keyFile: path.join(dir, `${rootId}.intermediate.key`) } })).rejects.toThrow(/up to and including the self-signed root/);
    await expect(MeshCA.open({ trustDomain: 'trellis.local', dataDir, operator: { certFile: chainFile, keyFile: path.join(dir, `${rootId}.root.key`) } })).rejects.toThrow(/is not the key of the certificate/);
  });
});
