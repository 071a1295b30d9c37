import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import tls from 'node:tls';
import type { IssuedCertificate, ProxyCredential, TrustBundle } from '@trellis/shared';
import { spiffeIdOf } from '@trellis/shared/node';
import type { StreamCredentials } from '@trellis/stream-client';
import { newKeyAndRequest } from './csr.ts';
import { IdentityFile } from './identity-files.ts';

/** Renewal starts when this share of a certificate's life (from when it arrived) is gone. */
const RENEW_AT = 2 / 3;
/** What the inbound side's sessions are tied to (tls.Server makes one from argv when it builds its own context). */
const SESSION_ID_CONTEXT = 'trellis-proxy-inbound';

/** What a worker process (--workers) needs to serve with the primary's identity; the key stays on this host. */
export interface SharedIdentity {
  keyPem: string;
  chainPem: string;
  roots: string[];
  bundleVersion: number;
}

interface Current {
  keyPem: string;
  chainPem: string;
  identity: string;
  notAfter: number;
  /** When renewal is due (ms since the epoch). */
  renewAt: number;
}

/**
 * One workload's identity: its key pair (made here; only CSRs leave), its certificate from the mesh CA,
 * the trust bundle, and the TLS contexts the inbound listener and the upstream pools use. Renews at two
 * thirds of a certificate's life. `generation` moves on every change, so pools know to reconnect with the
 * new certificate (open connections finish their requests). Event 'changed' after every change.
 */
export class WorkloadIdentity extends EventEmitter implements StreamCredentials {
  /** Bumped when the certificate or the bundle changes. */
  generation = 0;
  private current: Current | undefined;
  private roots: string[] | undefined;
  private bundleVersion = 0;
  /** Keys whose CSRs are out, by public key (SPKI, base64): a certificate is taken only for one of them. */
  private readonly pending = new Map<string, string>();
  private context: tls.SecureContext | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** Asks the control plane for a new certificate; false when it could not be sent (not connected). */
  requestRenewal: () => Promise<boolean> = () => Promise.resolve(false);

  private file: IdentityFile | undefined;

  constructor(
    private readonly options: {
      /** A join token (outside Kubernetes). */
      token: string | undefined;
      /** A projected ServiceAccount token's file (in Kubernetes), read again at every use: the kubelet rotates it. */
      serviceAccountTokenFile?: string | undefined;
      /** Roots to trust for the control plane before it sends a trust bundle (a mounted ConfigMap in Kubernetes). */
      initialRoots?: string[] | undefined;
      log: (line: string) => void;
    },
  ) {
    super();
  }

  /** Loads the last good identity from `dataDir` (and keeps it there), so mTLS works at once after a restart. */
  async load(dataDir: string): Promise<void> {
    this.file = new IdentityFile(dataDir);
    const saved = await this.file.load();
    if (!saved) return;
    try {
      this.roots = saved.bundle.roots;
      this.bundleVersion = saved.bundle.version;
      // Renewal is timed from when the certificate was issued: the mesh CA dates it 5 minutes back.
      const issuedAt = new Date(new X509Certificate(saved.chainPem).validFrom).getTime() + 5 * 60_000;
      this.take(saved.keyPem, saved.chainPem, Math.min(Date.now(), issuedAt));
      this.options.log(`identity ${this.current?.identity ?? '?'} loaded from ${this.file.file}`);
    } catch (err) {
      this.current = undefined;
      this.options.log(`ignoring the saved identity in ${this.file.file}: ${(err as Error).message}`);
    }
  }

  /** The SPIFFE ID this workload holds a certificate for, if any. */
  get identity(): string | undefined {
    return this.current?.identity;
  }

  /** When the certificate expires (ms since the epoch). */
  get notAfter(): number | undefined {
    return this.current?.notAfter;
  }

  get trustBundleVersion(): number {
    return this.bundleVersion;
  }

  /** True once there is a certificate to serve and call with. */
  get ready(): boolean {
    return this.current !== undefined && this.roots !== undefined;
  }

  /** Key, chain and roots as PEM (a TLS server that cannot take secureContext() builds its own from them). */
  pemOptions(): tls.SecureContextOptions | undefined {
    if (!this.current || !this.roots) return undefined;
    return { key: this.current.keyPem, cert: this.current.chainPem, ca: this.roots, minVersion: 'TLSv1.3' };
  }

  /**
   * The one TLS context of this workload (built once per change): the inbound listener serves with it and
   * upstream connections present and verify with it. An OpenSSL context costs ~34 KB of native memory,
   * and both directions hold the same key, chain and roots: one per workload, not one per direction
   * (at N = 100 workloads of a node agent, 3.4 MB). `sessionIdContext` only matters to the server side,
   * which needs one to resume sessions of clients that sent a certificate.
   */
  secureContext(): tls.SecureContext | undefined {
    if (!this.current || !this.roots) return undefined;
    this.context ??= tls.createSecureContext({
      key: this.current.keyPem,
      cert: this.current.chainPem,
      ca: this.roots,
      minVersion: 'TLSv1.3',
      honorCipherOrder: true,
      sessionIdContext: SESSION_ID_CONTEXT,
    });
    return this.context;
  }

  stop(): void {
    clearTimeout(this.renewTimer);
  }

  /** The key, certificate and bundle in force, for worker processes (undefined until there is a certificate). */
  shared(): SharedIdentity | undefined {
    if (!this.current || !this.roots) return undefined;
    return { keyPem: this.current.keyPem, chainPem: this.current.chainPem, roots: this.roots, bundleVersion: this.bundleVersion };
  }

  /** Takes the identity the primary process holds: a worker never asks for or renews a certificate itself. */
  adopt(shared: SharedIdentity): void {
    this.roots = shared.roots;
    this.bundleVersion = shared.bundleVersion;
    this.take(shared.keyPem, shared.chainPem, Date.now(), false);
  }

  // StreamCredentials: what the stream client asks of us.

  trustedRoots(): readonly string[] | undefined {
    return this.roots ?? this.options.initialRoots;
  }

  clientCertificate(): { cert: string; key: string } | undefined {
    const c = this.current;
    return c && c.notAfter > Date.now() ? { cert: c.chainPem, key: c.keyPem } : undefined;
  }

  /** The upstream connections' context, for the stream too, while the certificate is valid. */
  tlsContext(): tls.SecureContext | undefined {
    return this.clientCertificate() ? this.secureContext() : undefined;
  }

  credential(): ProxyCredential | undefined {
    const file = this.options.serviceAccountTokenFile;
    if (file) {
      try {
        return { kind: 'service-account-token', token: readFileSync(file, 'utf8').trim() };
      } catch (err) {
        this.options.log(`cannot read the ServiceAccount token ${file}: ${(err as Error).message}`);
      }
    }
    return this.options.token ? { kind: 'join-token', token: this.options.token } : undefined;
  }

  async certificateRequest(): Promise<string | undefined> {
    if (this.current && this.current.renewAt > Date.now()) return undefined;
    return this.renewalRequest();
  }

  async renewalRequest(): Promise<string> {
    const { keyPem, csrPem } = await newKeyAndRequest();
    // Only the newest few requests can still be answered.
    if (this.pending.size >= 4) this.pending.delete(this.pending.keys().next().value ?? '');
    this.pending.set(spkiOf(createPublicKey(keyPem)), keyPem);
    return csrPem;
  }

  async installCertificate(certificate: IssuedCertificate, bundle: TrustBundle): Promise<void> {
    const leaf = new X509Certificate(certificate.chain);
    const keyPem = this.pending.get(spkiOf(leaf.publicKey));
    if (!keyPem) throw new Error('a certificate arrived for a key this proxy did not ask for; ignored');
    this.pending.delete(spkiOf(leaf.publicKey));
    this.roots = bundle.roots;
    this.bundleVersion = bundle.version;
    this.take(keyPem, certificate.chain, Date.now());
    await this.persist();
    this.options.log(`certificate for ${certificate.identity} installed, valid until ${certificate.notAfter}`);
  }

  async installBundle(bundle: TrustBundle): Promise<void> {
    // The control plane sends the bundle again on every reconnect: the same one changes nothing (a new TLS
    // context would cost every pool a new handshake and keep the old context alive on open connections).
    if (bundle.version === this.bundleVersion && sameRoots(bundle.roots, this.roots)) return;
    this.roots = bundle.roots;
    this.bundleVersion = bundle.version;
    this.changed();
    await this.persist();
    this.options.log(`trust bundle version ${bundle.version} installed (${bundle.roots.length} root${bundle.roots.length === 1 ? '' : 's'})`);
  }

  private take(keyPem: string, chainPem: string, receivedAt: number, renew = true): void {
    const leaf = new X509Certificate(chainPem);
    if (spkiOf(leaf.publicKey) !== spkiOf(createPublicKey(createPrivateKey(keyPem)))) {
      throw new Error('the certificate is not for this key');
    }
    const identity = spiffeIdOf({ subjectaltname: leaf.subjectAltName });
    if (!identity) throw new Error('the certificate carries no Trellis SPIFFE ID');
    const notAfter = new Date(leaf.validTo).getTime();
    this.current = { keyPem, chainPem, identity, notAfter, renewAt: receivedAt + (notAfter - receivedAt) * RENEW_AT };
    this.changed();
    if (renew) this.scheduleRenewal();
  }

  private changed(): void {
    this.context = undefined;
    this.generation++;
    this.emit('changed');
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    const c = this.current;
    if (!c) return;
    const run = () => {
      void this.requestRenewal().then((sent) => {
        // Not connected: try again soon; the next hello carries a CSR anyway.
        if (!sent && this.current === c) {
          this.renewTimer = setTimeout(run, Math.max(1000, Math.min(10_000, (c.notAfter - Date.now()) / 10)));
          this.renewTimer.unref();
        }
      });
    };
    this.renewTimer = setTimeout(run, Math.max(0, c.renewAt - Date.now()));
    this.renewTimer.unref();
  }

  private async persist(): Promise<void> {
    const file = this.file;
    if (!this.current || !this.roots || !file) return;
    await file
      .save({ keyPem: this.current.keyPem, chainPem: this.current.chainPem, bundle: { version: this.bundleVersion, roots: this.roots } })
      .catch((err: Error) => this.options.log(`could not save the identity to ${file.file}: ${err.message}`));
  }
}

function sameRoots(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((root, i) => root === b[i]);
}

function spkiOf(key: { export(options: { type: 'spki'; format: 'der' }): Buffer }): string {
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}
