import { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { parseSpiffeId, spiffeId, type IssuedCertificate, type ProxyCredential, type TrustBundle } from '@trellis/shared';
import { spiffeIdOf } from '@trellis/shared/node';
import type { Database } from '../db/open.ts';
import { MeshCA, type CaOptions } from './ca.ts';
import { JoinTokens } from './join-tokens.ts';
import type { TokenReviewer } from './token-review.ts';

/** Who a proxy proved to be, and how. */
export interface Authenticated {
  identity: string;
  service: string;
  namespace: string;
  /** The join token this proxy's certificates descend from (null for Kubernetes ServiceAccount tokens). */
  tokenId: string | null;
  via: 'certificate' | 'join-token' | 'service-account-token';
}

export type AuthResult =
  | { ok: true; who: Authenticated }
  | { ok: false; code: 'unauthenticated' | 'forbidden'; reason: string; message: string };

export interface IdentityOptions extends CaOptions {
  /** Lifetime of workload certificates. */
  certTtlMs: number;
  /** Names and addresses the control plane is reached by (its serving certificate's SANs). */
  hosts: readonly string[];
  /** Checks Kubernetes ServiceAccount tokens (with --kubernetes); without it they are refused. */
  tokenReviewer?: TokenReviewer | undefined;
}

const SERVING_TTL = 30 * 86_400_000;

/**
 * Workload identity for the control plane: the mesh CA, join tokens, who a proxy is (from its client
 * certificate or the credential in its hello), certificates issued to proxies, and the TLS context the
 * control plane's own port serves the proxy stream with. Events: 'bundle' (TrustBundle), 'issuer' (a new
 * intermediate signs), 'serving' (a new serving context), 'warning' (a line to log).
 */
export class IdentityService extends EventEmitter {
  readonly tokens: JoinTokens;
  private serving: tls.SecureContextOptions | undefined;
  private servingTimer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;

  private constructor(
    readonly ca: MeshCA,
    private readonly prisma: Database,
    private readonly options: IdentityOptions,
  ) {
    super();
    this.tokens = new JoinTokens(prisma, (line) => this.emit('warning', line));
    // A certificate's row is of no use a day after it expired.
    this.pruneTimer = setInterval(() => {
      void prisma.issuedCertificate.deleteMany({ where: { notAfter: { lt: new Date(Date.now() - 86_400_000) } } }).catch(() => undefined);
    }, 3_600_000);
    this.pruneTimer.unref();
    ca.on('bundle', (bundle: TrustBundle) => {
      void this.refreshServing().then(() => this.emit('bundle', bundle));
    });
    ca.on('issuer', () => {
      void this.refreshServing().then(() => this.emit('issuer'));
    });
  }

  static async start(prisma: Database, options: IdentityOptions): Promise<IdentityService> {
    const ca = await MeshCA.open(options);
    const service = new IdentityService(ca, prisma, options);
    await service.refreshServing();
    return service;
  }

  get trustDomain(): string {
    return this.ca.trustDomain;
  }

  get certTtlMs(): number {
    return this.options.certTtlMs;
  }

  /** The SPIFFE ID of a service outside Kubernetes (its service account is its name). */
  identityOf(service: string, namespace: string): string {
    return spiffeId(this.ca.trustDomain, namespace, service);
  }

  /** What the control plane serves TLS with: its certificate, and the roots client certificates must chain to. */
  servingOptions(): tls.SecureContextOptions {
    if (!this.serving) throw new Error('the control plane has no serving certificate yet');
    return this.serving;
  }

  stop(): void {
    clearTimeout(this.servingTimer);
    clearInterval(this.pruneTimer);
  }

  /**
   * Decides who a connecting proxy is: a valid client certificate of ours, else the credential in its
   * hello. Either way it must be the identity of the service it says it is.
   */
  async authenticate(socket: TLSSocket | undefined, credential: ProxyCredential | undefined, claimed: { service: string; namespace: string }): Promise<AuthResult> {
    const fromCertificate = socket ? await this.peerIdentity(socket) : undefined;
    let who: Authenticated | undefined = fromCertificate?.ok ? fromCertificate.who : undefined;
    if (!who && credential?.kind === 'join-token') {
      const check = await this.tokens.check(credential.token);
      if (!check.ok) return { ok: false, code: 'unauthenticated', reason: `token-${check.reason}`, message: check.message };
      who = { identity: this.identityOf(check.service, check.namespace), service: check.service, namespace: check.namespace, tokenId: check.tokenId, via: 'join-token' };
    } else if (!who && credential?.kind === 'service-account-token') {
      const review = this.options.tokenReviewer;
      if (!review) return { ok: false, code: 'unauthenticated', reason: 'no-token-review', message: 'ServiceAccount tokens are accepted only when the control plane runs with --kubernetes' };
      const result = await review(credential.token);
      if (!result.ok) return { ok: false, code: 'unauthenticated', reason: 'service-account-token', message: result.message };
      // Until pods are mapped to services, a workload's service is its ServiceAccount's name.
      who = { identity: spiffeId(this.ca.trustDomain, result.namespace, result.serviceAccount), service: result.serviceAccount, namespace: result.namespace, tokenId: null, via: 'service-account-token' };
    }
    if (!who) {
      if (fromCertificate && !fromCertificate.ok) return fromCertificate;
      return {
        ok: false,
        code: 'unauthenticated',
        reason: 'no-credential',
        message: 'no valid client certificate and no join token: start the proxy with --token-file (or TRELLIS_TOKEN) holding a token from `trellis token create --service <name>`',
      };
    }
    if (who.service !== claimed.service || who.namespace !== claimed.namespace) {
      return {
        ok: false,
        code: 'forbidden',
        reason: 'wrong-service',
        message: `authenticated as ${who.identity}, which may not join as ${claimed.service}.${claimed.namespace}`,
      };
    }
    return { ok: true, who };
  }

  /** Signs a CSR for an authenticated proxy and records the certificate. */
  async issue(csr: string, who: Authenticated, instance: string): Promise<{ certificate: IssuedCertificate; trustBundle: TrustBundle; rootId: string }> {
    const leaf = await this.ca.signWorkload(csr, who.identity, this.options.certTtlMs);
    await this.prisma.issuedCertificate.create({
      data: {
        serial: leaf.serial,
        identity: who.identity,
        service: who.service,
        namespace: who.namespace,
        instance,
        tokenId: who.tokenId,
        rootId: leaf.rootId,
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
      },
    });
    return {
      certificate: { chain: leaf.chain, identity: who.identity, notAfter: leaf.notAfter.toISOString() },
      trustBundle: this.ca.bundle(),
      rootId: leaf.rootId,
    };
  }

  /** Certificates still valid, newest first (the Security page). */
  async certificates(limit = 500) {
    return this.prisma.issuedCertificate.findMany({ where: { notAfter: { gt: new Date() } }, orderBy: { createdAt: 'desc' }, take: limit });
  }

  /** The identity in a TLS peer certificate the handshake verified against our roots, if any. */
  private async peerIdentity(socket: TLSSocket): Promise<AuthResult | undefined> {
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) return undefined;
    if (!socket.authorized) {
      return { ok: false, code: 'unauthenticated', reason: 'bad-certificate', message: `the client certificate was refused: ${String(socket.authorizationError)}` };
    }
    const identity = spiffeIdOf(cert);
    const parts = identity ? parseSpiffeId(identity) : undefined;
    if (!identity || !parts) return { ok: false, code: 'unauthenticated', reason: 'no-identity', message: 'the client certificate carries no Trellis SPIFFE ID' };
    // Our serials are 16 bytes; an encoding may drop a leading zero byte.
    const serial = cert.serialNumber.toLowerCase().padStart(32, '0');
    const row = await this.prisma.issuedCertificate.findUnique({ where: { serial } });
    if (!row) return { ok: false, code: 'unauthenticated', reason: 'unknown-certificate', message: `certificate ${serial} was not issued by this control plane` };
    if (row.tokenId && (await this.tokens.isRevoked(row.tokenId))) {
      return { ok: false, code: 'unauthenticated', reason: 'token-revoked', message: `certificate ${serial} descends from join token ${row.tokenId}, which was revoked` };
    }
    return { ok: true, who: { identity, service: row.service, namespace: row.namespace, tokenId: row.tokenId, via: 'certificate' } };
  }

  private async refreshServing(): Promise<void> {
    const { key, chain, notAfter } = await this.ca.controlPlaneCertificate(this.options.hosts, SERVING_TTL);
    this.serving = { key, cert: chain, ca: this.ca.bundle().roots, minVersion: 'TLSv1.3' };
    this.emit('serving', this.serving);
    clearTimeout(this.servingTimer);
    // Renewed at two thirds of its life, like workload certificates.
    this.servingTimer = setTimeout(() => void this.refreshServing(), Math.max(60_000, ((notAfter.getTime() - Date.now()) * 2) / 3));
    this.servingTimer.unref();
  }
}
