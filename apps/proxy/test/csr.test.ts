// The proxy writes its certificate request as DER itself (src/identity/csr.ts). It must read back as the
// control plane's CA reads it (@peculiar/x509's Pkcs10CertificateRequest, then verify(), then a P-256 key
// check: apps/control-plane/src/identity/ca.ts) and as OpenSSL does, and its key must be the PEM key kept.
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { newKeyAndRequest, REQUEST_SUBJECT_CN } from '../src/identity/csr.ts';

x509.cryptoProvider.set(webcrypto as never);

describe("the proxy's certificate request", () => {
  it('is a PKCS#10 request the CA accepts: signed by its own P-256 key, subject CN=trellis-proxy', async () => {
    const { csrPem, keyPem } = await newKeyAndRequest();
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(csr.subject).toBe(`CN=${REQUEST_SUBJECT_CN}`);
    expect(csr.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });

    // The kept key is the request's key: what it signs, the request's public key verifies.
    const requestKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    const signature = sign('sha256', Buffer.from('proof'), createPrivateKey(keyPem));
    expect(verify('sha256', Buffer.from('proof'), requestKey, signature)).toBe(true);
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('reads the same with OpenSSL, and each request has a key of its own', async () => {
    const first = await newKeyAndRequest();
    const second = await newKeyAndRequest();
    expect(second.keyPem).not.toBe(first.keyPem);
    // OpenSSL 3 exits 0 either way and says which on stderr.
    const openssl = spawnSync('openssl', ['req', '-verify', '-noout', '-subject'], { input: first.csrPem, encoding: 'utf8' });
    expect(openssl.stderr).toContain('self-signature verify OK');
    expect(openssl.stdout).toMatch(new RegExp(`CN ?= ?${REQUEST_SUBJECT_CN}`));
  });
});
