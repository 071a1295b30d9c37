import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createPublicKey, X509Certificate as NodeCertificate } from 'node:crypto';
import { CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICE_ACCOUNT, spiffeId, type TrustBundle } from '@trellis/shared';
import { CLOCK_SKEW, intermediateCertificate, newRootId, rootCertificate } from './ca-certificates.ts';
import { CaFiles, type CaState, type CaStorage, type RootStatus } from './ca-files.ts';
import { EC_P256, generateKeyPair, importPrivateKey, privateKeyPem, randomSerial, rootPin, splitPem, x509, type CryptoKey, type EcKeyAlgorithm } from './x509.ts';

const DAY = 86_400_000;
const ROOT_LIFETIME = 10 * 365 * DAY;
const INTERMEDIATE_LIFETIME = 365 * DAY;
/** An intermediate with less than this left is replaced (the CA holds the root key). */
const INTERMEDIATE_RENEW_BEFORE = 30 * DAY;
/** Certificates start a little in the past, so a proxy whose clock is behind accepts them. */

interface Root {
  id: string;
  cert: string;
  /** Absent for a root the operator brought (its key stays with them). */
  key: CryptoKey | undefined;
  status: RootStatus;
}

interface Intermediate {
  rootId: string;
  cert: string;
  key: CryptoKey;
  notAfter: Date;
}

export interface IssuedLeaf {
  /** Leaf, then the intermediate (PEM). */
  chain: string;
  serial: string;
  rootId: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CaOptions {
  trustDomain: string;
  /** Where a self-managed CA keeps its files (the control plane's data directory). */
  dataDir: string;
  /** An intermediate the operator brings (PEM; its chain up to the root may follow it) and its key. */
  operator?: { certFile: string; keyFile: string } | undefined;
  /** Where a self-managed CA is kept instead of `<dataDir>/ca` (the database, for replicas: ca-rows.ts). */
  storage?: CaStorage | undefined;
  log?: (line: string) => void;
}

/**
 * The mesh CA: a root and an intermediate (ECDSA P-256), made on first start or brought by the operator.
 * Signs workload certificates for SPIFFE IDs and the control plane's own serving certificate, and keeps
 * the trust bundle: every root proxies trust, more than one while a rotation moves the mesh to a new root.
 * Event 'bundle' (TrustBundle) when the bundle changes; 'issuer' when a new intermediate starts signing;
 * 'saved' when this process changed what is stored (other replicas then reload it).
 */
export class MeshCA extends EventEmitter {
  private roots: Root[] = [];
  private intermediates = new Map<string, Intermediate>();
  private issuingRoot = '';
  private bundleVersion = 1;

  private constructor(
    readonly trustDomain: string,
    private readonly files: CaStorage | undefined,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  /** Loads the CA (or makes one on first start). */
  static async open(options: CaOptions): Promise<MeshCA> {
    const log = options.log ?? (() => {});
    if (options.operator) {
      const ca = new MeshCA(options.trustDomain, undefined, log);
      await ca.loadOperator(options.operator);
      return ca;
    }
    const ca = new MeshCA(options.trustDomain, options.storage ?? new CaFiles(`${options.dataDir}/ca`), log);
    await ca.loadOrCreate();
    return ca;
  }

  /** True when the operator brought the intermediate: rotation is theirs to do. */
  get operatorManaged(): boolean {
    return this.files === undefined;
  }

  /** The roots every proxy must trust now. */
  bundle(): TrustBundle {
    return { version: this.bundleVersion, roots: this.roots.map((r) => r.cert) };
  }

  /** The root new certificates chain to, and its pin (what join tokens carry). */
  get issuing(): { rootId: string; pin: string } {
    const root = this.rootById(this.issuingRoot);
    return { rootId: root.id, pin: rootPin(root.cert) };
  }

  /** Every root with its status and pin, for the dashboard and `trellis ca status`. */
  describeRoots(): { id: string; status: RootStatus; pin: string; notAfter: string; subject: string }[] {
    return this.roots.map((r) => {
      const cert = new NodeCertificate(r.cert);
      return { id: r.id, status: r.status, pin: rootPin(r.cert), notAfter: new Date(cert.validTo).toISOString(), subject: cert.subject };
    });
  }

  /** Which root (by id) a certificate we issued chains to, from its issuer name; undefined if none of ours. */
  rootOf(certPem: string): string | undefined {
    const cert = new NodeCertificate(certPem);
    for (const [rootId, intermediate] of this.intermediates) {
      if (cert.checkIssued(new NodeCertificate(intermediate.cert))) return rootId;
    }
    return undefined;
  }

  /**
   * Signs a workload certificate for `identity` from a PKCS#10 request. Only the request's public key is
   * used (after checking the request's own signature proves the key is held): the identity is what the
   * caller's credential granted, never what the request asks for.
   */
  async signWorkload(csrPem: string, identity: string, ttlMs: number): Promise<IssuedLeaf> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new CsrError(`the certificate request is not a PKCS#10 PEM: ${(err as Error).message}`);
    }
    if (!(await csr.verify())) throw new CsrError('the certificate request is not signed by its own key');
    const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
    if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
      throw new CsrError(`the certificate request's key must be ECDSA P-256 (it is ${algorithm.name} ${algorithm.namedCurve ?? ''})`);
    }
    const issuer = await this.currentIntermediate();
    const now = Date.now();
    const notBefore = new Date(now - CLOCK_SKEW);
    const notAfter = new Date(Math.min(now + ttlMs, issuer.notAfter.getTime()));
    const serial = randomSerial();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: '',
      issuer: new x509.X509Certificate(issuer.cert).subject,
      notBefore,
      notAfter,
      signingKey: issuer.key,
      publicKey: await csr.publicKey.export(EC_P256, ['verify']),
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        // With an empty subject the SAN must be critical (RFC 5280 4.2.1.6).
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: identity }], true),
        await x509.AuthorityKeyIdentifierExtension.create(new x509.X509Certificate(issuer.cert)),
      ],
    });
    return { chain: `${leaf.toString('pem')}\n${issuer.cert}\n`, serial, rootId: issuer.rootId, notBefore, notAfter };
  }

  /** The control plane's serving certificate for the proxy stream: its SPIFFE ID, and the names it is reached by. */
  async controlPlaneCertificate(hosts: readonly string[], ttlMs: number): Promise<{ key: string; chain: string; notAfter: Date }> {
    const keys = await generateKeyPair();
    const issuer = await this.currentIntermediate();
    const names: x509.JsonGeneralName[] = [{ type: 'url', value: spiffeId(this.trustDomain, CONTROL_PLANE_NAMESPACE, CONTROL_PLANE_SERVICE_ACCOUNT) }];
    for (const host of new Set(['localhost', '127.0.0.1', '::1', ...hosts])) {
      names.push(/^[\d.]+$/.test(host) || host.includes(':') ? { type: 'ip', value: host } : { type: 'dns', value: host });
    }
    const now = Date.now();
    const notAfter = new Date(Math.min(now + ttlMs, issuer.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: 'CN=trellis-control-plane',
      issuer: new x509.X509Certificate(issuer.cert).subject,
      notBefore: new Date(now - CLOCK_SKEW),
      notAfter,
      signingKey: issuer.key,
      publicKey: keys.publicKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ],
    });
    return { key: await privateKeyPem(keys.privateKey), chain: `${cert.toString('pem')}\n${issuer.cert}\n`, notAfter };
  }

  /** Rotation step 1: a new root (and its intermediate) joins the bundle; the old one still issues. */
  async addIncomingRoot(): Promise<string> {
    if (!this.files) throw new OperatorManagedError();
    if (this.roots.some((r) => r.status !== 'active')) throw new Error('a rotation is already under way');
    const root = await this.createRoot('incoming');
    this.bundleVersion++;
    await this.save();
    this.log(`mesh CA: new root ${root.id} added to the trust bundle (version ${this.bundleVersion})`);
    this.emit('bundle', this.bundle());
    return root.id;
  }

  /** Rotation step 2: the incoming root's intermediate signs from now on; the old root is retiring. */
  async activateIncomingRoot(): Promise<void> {
    const incoming = this.roots.find((r) => r.status === 'incoming');
    if (!incoming) return;
    for (const r of this.roots) if (r.status === 'active') r.status = 'retiring';
    incoming.status = 'active';
    this.issuingRoot = incoming.id;
    await this.save();
    this.log(`mesh CA: root ${incoming.id} now issues certificates`);
    this.emit('issuer');
  }

  /** Rotation step 3: retiring roots leave the bundle. */
  async retireOldRoots(): Promise<void> {
    const retiring = this.roots.filter((r) => r.status === 'retiring');
    if (retiring.length === 0) return;
    this.roots = this.roots.filter((r) => r.status !== 'retiring');
    for (const r of retiring) this.intermediates.delete(r.id);
    this.bundleVersion++;
    await this.save();
    this.log(`mesh CA: root ${retiring.map((r) => r.id).join(', ')} retired; trust bundle version ${this.bundleVersion}`);
    this.emit('bundle', this.bundle());
  }

  private rootById(id: string): Root {
    const root = this.roots.find((r) => r.id === id);
    if (!root) throw new Error(`the mesh CA has no root ${id}`);
    return root;
  }

  /** The intermediate that signs now, replaced first when it is close to expiry (and the root key is ours). */
  private async currentIntermediate(): Promise<Intermediate> {
    const current = this.intermediates.get(this.issuingRoot);
    if (!current) throw new Error('the mesh CA has no intermediate to sign with');
    const root = this.rootById(this.issuingRoot);
    if (root.key && current.notAfter.getTime() - Date.now() < INTERMEDIATE_RENEW_BEFORE) {
      const renewed = await this.createIntermediate(root);
      await this.save();
      this.log(`mesh CA: intermediate of root ${root.id} renewed (valid until ${renewed.notAfter.toISOString()})`);
      return renewed;
    }
    return current;
  }

  private async loadOrCreate(): Promise<void> {
    const files = this.files;
    if (!files) return;
    const state = await files.readState();
    if (!state) {
      await this.createRoot('active');
      this.issuingRoot = this.roots[0]?.id ?? '';
      await this.save();
      this.log(`mesh CA: created root ${this.issuingRoot} and its intermediate in ${files.where}`);
      return;
    }
    await this.load(files, state);
  }

  private async load(files: CaStorage, state: CaState): Promise<void> {
    const roots: Root[] = [];
    const intermediates = new Map<string, Intermediate>();
    for (const { id, status } of state.roots) {
      const [cert, keyPem, intCert, intKeyPem] = await Promise.all([
        files.read(`${id}.root.crt`),
        files.read(`${id}.root.key`),
        files.read(`${id}.intermediate.crt`),
        files.read(`${id}.intermediate.key`),
      ]);
      roots.push({ id, cert, key: await importPrivateKey(keyPem), status });
      intermediates.set(id, { rootId: id, cert: intCert, key: await importPrivateKey(intKeyPem), notAfter: new Date(new NodeCertificate(intCert).validTo) });
    }
    this.roots = roots;
    this.intermediates = intermediates;
    this.bundleVersion = state.bundleVersion;
    this.issuingRoot = state.issuingRoot;
  }

  /**
   * Reads the CA again (another control-plane replica took a rotation step, or renewed the intermediate)
   * and says what changed: 'bundle' when the trust bundle did, 'issuer' when another root now issues.
   */
  async reload(): Promise<void> {
    const files = this.files;
    if (!files) return;
    const state = await files.readState();
    if (!state) return;
    const before = { bundleVersion: this.bundleVersion, issuingRoot: this.issuingRoot, intermediate: this.intermediates.get(this.issuingRoot)?.cert };
    await this.load(files, state);
    if (this.bundleVersion !== before.bundleVersion) this.emit('bundle', this.bundle());
    if (this.issuingRoot !== before.issuingRoot || this.intermediates.get(this.issuingRoot)?.cert !== before.intermediate) this.emit('issuer');
  }

  private async loadOperator(operator: { certFile: string; keyFile: string }): Promise<void> {
    const [chainText, keyPem] = await Promise.all([
      readFile(operator.certFile, 'utf8').catch((err: Error) => {
        throw new Error(`--ca-cert ${operator.certFile}: ${err.message}`);
      }),
      readFile(operator.keyFile, 'utf8').catch((err: Error) => {
        throw new Error(`--ca-key ${operator.keyFile}: ${err.message}`);
      }),
    ]);
    const chain = splitPem(chainText);
    const first = chain[0];
    if (!first) throw new Error(`--ca-cert ${operator.certFile} holds no PEM certificate`);
    const issuer = new NodeCertificate(first);
    if (!issuer.ca) throw new Error(`--ca-cert ${operator.certFile}: the first certificate is not a CA certificate (basicConstraints CA:TRUE)`);
    // The trust anchor proxies get: the self-signed root at the end of the chain (or the issuer itself,
    // when the operator brings a root to sign with directly).
    const last = chain[chain.length - 1] ?? first;
    const lastCert = new NodeCertificate(last);
    if (!lastCert.checkIssued(lastCert)) {
      throw new Error(`--ca-cert ${operator.certFile}: put the intermediate first, then its chain up to and including the self-signed root (proxies trust the root)`);
    }
    const rootPem = last;
    let key: CryptoKey;
    try {
      key = await importPrivateKey(keyPem);
    } catch (err) {
      throw new Error(`--ca-key ${operator.keyFile} is not a PKCS#8 ECDSA P-256 key (${(err as Error).message})`);
    }
    const spki = (k: { export(o: { type: 'spki'; format: 'der' }): Buffer }) => k.export({ type: 'spki', format: 'der' });
    if (!spki(createPublicKey(keyPem)).equals(spki(issuer.publicKey))) {
      throw new Error(`--ca-key ${operator.keyFile} is not the key of the certificate in --ca-cert ${operator.certFile}`);
    }
    const id = rootPin(rootPem).slice(7, 19);
    this.roots = [{ id, cert: rootPem, key: undefined, status: 'active' }];
    // The intermediate and everything between it and the root go out with every leaf.
    const intermediateChain = chain.filter((c) => c !== rootPem || c === first).join('\n');
    this.intermediates.set(id, { rootId: id, cert: intermediateChain, key, notAfter: new Date(issuer.validTo) });
    this.issuingRoot = id;
    this.log(`mesh CA: using the intermediate from ${operator.certFile} (valid until ${issuer.validTo})`);
  }

  private async createRoot(status: RootStatus): Promise<Root> {
    const keys = await generateKeyPair();
    const now = Date.now();
    const id = newRootId(now);
    const cert = await rootCertificate({ id, trustDomain: this.trustDomain, keys, now, notAfter: new Date(now + ROOT_LIFETIME) });
    const root: Root = { id, cert: cert.toString('pem'), key: keys.privateKey, status };
    this.roots.push(root);
    await this.createIntermediate(root);
    return root;
  }

  private async createIntermediate(root: Root): Promise<Intermediate> {
    if (!root.key) throw new OperatorManagedError();
    const keys = await generateKeyPair();
    const rootCert = new x509.X509Certificate(root.cert);
    const now = Date.now();
    const notAfter = new Date(Math.min(now + INTERMEDIATE_LIFETIME, rootCert.notAfter.getTime()));
    const cert = await intermediateCertificate({ rootId: root.id, trustDomain: this.trustDomain, root: rootCert, rootKey: root.key, publicKey: keys.publicKey, now, notAfter });
    const intermediate = { rootId: root.id, cert: cert.toString('pem'), key: keys.privateKey, notAfter };
    this.intermediates.set(root.id, intermediate);
    return intermediate;
  }

  private async save(): Promise<void> {
    const files = this.files;
    if (!files) return;
    for (const root of this.roots) {
      const intermediate = this.intermediates.get(root.id);
      if (!root.key || !intermediate) continue;
      await files.write(`${root.id}.root.crt`, root.cert, 0o644);
      await files.write(`${root.id}.root.key`, await privateKeyPem(root.key));
      await files.write(`${root.id}.intermediate.crt`, intermediate.cert, 0o644);
      await files.write(`${root.id}.intermediate.key`, await privateKeyPem(intermediate.key));
    }
    const state: CaState = { bundleVersion: this.bundleVersion, roots: this.roots.map(({ id, status }) => ({ id, status })), issuingRoot: this.issuingRoot };
    await files.writeState(state);
    this.emit('saved');
  }
}

/** A certificate request the CA will not sign; the proxy is told why. */
export class CsrError extends Error {}

export class OperatorManagedError extends Error {
  constructor() {
    super('the mesh CA uses an intermediate the operator brought (--ca-cert): rotate it by issuing a new intermediate and restarting the control plane with it');
  }
}
