// A key pair made here and a PKCS#10 request for it, with node:crypto alone. The request has one fixed
// shape (an ECDSA P-256 key, CN=trellis-proxy, no attributes: the control plane decides the identity and
// reads nothing else from it), so it is written as DER here rather than with @peculiar/x509: that library
// and what it loads (reflect-metadata, tsyringe, asn1js) held 2.5-3.4 MB of every proxy's heap for one
// request at start and one per renewal (issue 15). The private key never leaves the process except into
// the 0600 last-good copy.
import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateEcKeyPair = promisify(generateKeyPair);

export interface KeyAndRequest {
  /** PKCS#8 PEM, for the TLS contexts. */
  keyPem: string;
  /** The CSR, PEM: what is sent to the control plane. */
  csrPem: string;
}

/** A fresh ECDSA P-256 key and a request for a certificate on it. The control plane decides the identity. */
export async function newKeyAndRequest(): Promise<KeyAndRequest> {
  const { publicKey, privateKey } = await generateEcKeyPair('ec', { namedCurve: 'P-256' });
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csrPem: pem('CERTIFICATE REQUEST', certificateRequest(publicKey, privateKey)),
  };
}

/** The subject every request carries; the certificate's identity is its SPIFFE ID, set by the CA. */
export const REQUEST_SUBJECT_CN = 'trellis-proxy';

// DER of the fixed parts (X.690): OBJECT IDENTIFIERs commonName (2.5.4.3) and ecdsa-with-SHA256 (1.2.840.10045.4.3.2).
const COMMON_NAME_OID = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]);
const ECDSA_WITH_SHA256 = der(0x30, Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));

/** RFC 2986: CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }. */
function certificateRequest(publicKey: KeyObject, privateKey: KeyObject): Buffer {
  const subject = der(0x30, der(0x31, der(0x30, COMMON_NAME_OID, der(0x0c, Buffer.from(REQUEST_SUBJECT_CN, 'utf8')))));
  const info = der(
    0x30,
    Buffer.from([0x02, 0x01, 0x00]), // version v1 (0)
    subject,
    publicKey.export({ type: 'spki', format: 'der' }), // SubjectPublicKeyInfo, as DER already
    Buffer.from([0xa0, 0x00]), // attributes [0]: none
  );
  // node:crypto signs ECDSA as a DER Ecdsa-Sig-Value, which is what the BIT STRING holds (no unused bits).
  const signature = sign('sha256', info, privateKey);
  return der(0x30, info, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0x00]), signature));
}

/** One DER element: tag, definite length (short or long form), contents. */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  if (n > 0xffff) throw new Error(`a DER element of ${n} bytes: longer than a certificate request holds`);
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
