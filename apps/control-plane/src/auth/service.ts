import type { Database } from '../db/open.ts';
import type { User } from '../generated/prisma/client.ts';
import { LINK_TTL_MS, SignInLinks } from './links.ts';
import { OidcError, OidcRelyingParty, type OidcIdentity } from './oidc.ts';
import { roleForGroups, type OidcOptions } from './oidc-config.ts';
import { passwordProblem, verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';
import { hashSecret, newSecret, sameSecret } from './secrets.ts';
import { DEFAULT_SESSIONS, SessionStore, type SessionOptions } from './sessions.ts';
import { DEFAULT_THROTTLE, SignInThrottle, type ThrottleOptions, type ThrottleRefusal } from './throttle.ts';
import { TokenStore } from './tokens.ts';
import { UserStore, usernameProblem } from './users.ts';

export interface AuthOptions {
  /** An admin API token held in memory only (never stored): `trellis up` and automation use it. */
  bootstrapToken?: string | undefined;
  /** The first admin's password (TRELLIS_ADMIN_PASSWORD); random and never shown when not given. */
  adminPassword?: string | undefined;
  /** The dashboard's public URL: sign-in links point to it, and its origin may open WebSockets. */
  dashboardUrl: string;
  /** Origins allowed to call the API from a browser (CORS); none unless listed. */
  corsOrigins?: string[];
  /** Serve /metrics without credentials (for a Prometheus that has none). */
  publicMetrics?: boolean;
  sessions?: Partial<SessionOptions>;
  throttle?: Partial<ThrottleOptions>;
  oidc?: OidcOptions | undefined;
}

/** A sign-in by password: who, or why not. */
export type SignInOutcome = { ok: true; user: User } | { ok: false; throttled?: ThrottleRefusal; message: string };

/** Everything about who people and tokens are: accounts, sessions, tokens, links, throttling, SSO. */
export class Auth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly tokens: TokenStore;
  readonly links: SignInLinks;
  readonly throttle: SignInThrottle;
  readonly oidc: OidcRelyingParty | undefined;
  /** The bootstrap token's hash, so the token itself is not kept around longer than needed. */
  private readonly bootstrapHash: string | undefined;

  constructor(
    prisma: Database,
    readonly options: AuthOptions,
  ) {
    if (options.bootstrapToken !== undefined && options.bootstrapToken.length < 24) {
      throw new Error('the bootstrap token (TRELLIS_BOOTSTRAP_TOKEN) must be at least 24 characters; generate one with `openssl rand -hex 32`');
    }
    const weak = options.adminPassword === undefined ? null : passwordProblem(options.adminPassword);
    if (weak) throw new Error(`the first admin's password (TRELLIS_ADMIN_PASSWORD) ${weak}`);
    this.users = new UserStore(prisma);
    this.sessions = new SessionStore(prisma, { ...DEFAULT_SESSIONS, ...options.sessions });
    this.tokens = new TokenStore(prisma);
    this.links = new SignInLinks(prisma);
    this.throttle = new SignInThrottle(prisma, { ...DEFAULT_THROTTLE, ...options.throttle });
    this.oidc = options.oidc ? new OidcRelyingParty(prisma, options.oidc) : undefined;
    this.bootstrapHash = options.bootstrapToken ? hashSecret(options.bootstrapToken) : undefined;
  }

  /** The dashboard URL of a sign-in link. */
  linkUrl(secret: string): string {
    return `${this.options.dashboardUrl.replace(/\/+$/, '')}/auth/link?token=${encodeURIComponent(secret)}`;
  }

  /**
   * First run: with no users, creates `admin` (with TRELLIS_ADMIN_PASSWORD, or a random password nobody
   * sees) and returns a one-time sign-in link for them. Null when there are users already.
   */
  async ensureFirstAdmin(withLink = true): Promise<{ username: string; link: string | null; expiresAt: Date } | null> {
    if ((await this.users.count()) > 0) return null;
    let admin: User;
    try {
      admin = await this.users.create({ username: 'admin', role: 'admin', password: this.options.adminPassword ?? newSecret() });
    } catch (err) {
      // Another control plane on the same database made it first.
      if ((await this.users.count()) > 0) return null;
      throw err;
    }
    if (!withLink) return { username: admin.username, link: null, expiresAt: new Date() };
    const { secret, expiresAt } = await this.links.create(admin.id, 'first run', LINK_TTL_MS);
    return { username: admin.username, link: this.linkUrl(secret), expiresAt };
  }

  principalOf(user: User, via: 'session' | 'token', credentialId: string): Principal {
    return { kind: 'user', id: user.id, name: user.username, role: user.role, namespaces: user.namespaces, via, credentialId };
  }

  /** The principal behind an `Authorization: Bearer` secret: the bootstrap token or a live API token. */
  async bearer(secret: string): Promise<Principal | null> {
    if (this.bootstrapHash && sameSecret(hashSecret(secret), this.bootstrapHash)) {
      return { kind: 'bootstrap', id: 'bootstrap', name: 'bootstrap', role: 'admin', namespaces: [], via: 'bootstrap', credentialId: 'bootstrap' };
    }
    const token = await this.tokens.resolve(secret);
    if (!token) return null;
    if (token.user) return this.principalOf(token.user, 'token', token.id);
    return { kind: 'token', id: token.id, name: token.name, role: token.role ?? 'viewer', namespaces: token.namespaces, via: 'token', credentialId: token.id };
  }

  /** The principal behind a session cookie, with the hash its CSRF token must match. */
  async session(secret: string): Promise<{ principal: Principal; csrfHash: string } | null> {
    const session = await this.sessions.resolve(secret);
    return session ? { principal: this.principalOf(session.user, 'session', session.id), csrfHash: session.csrfHash } : null;
  }

  /** Whether a principal resolved earlier (a WebSocket connection's) still holds: not revoked, not expired. */
  async stillValid(principal: Principal): Promise<Principal | null> {
    if (principal.via === 'bootstrap') return principal;
    if (principal.via === 'token') {
      const token = await this.tokens.resolveById(principal.credentialId);
      if (!token) return null;
      if (token.user) return this.principalOf(token.user, 'token', token.id);
      return { ...principal, role: token.role ?? 'viewer', namespaces: token.namespaces };
    }
    const session = await this.sessions.resolveById(principal.credentialId);
    return session ? this.principalOf(session.user, 'session', session.id) : null;
  }

  /** Checks a password, throttled per account and per address. Says nothing about which part was wrong. */
  async signIn(username: string, password: string, address: string): Promise<SignInOutcome> {
    const name = username.trim().toLowerCase();
    const keys = SignInThrottle.keys(name, address);
    const throttled = await this.throttle.check(keys);
    if (throttled) return { ok: false, throttled, message: throttled.message };
    const user = usernameProblem(name) ? null : await this.users.byName(name);
    if (!(await verifyPassword(user?.passwordHash, password)) || !user) {
      await this.throttle.fail(keys);
      return { ok: false, message: 'wrong username or password' };
    }
    await this.throttle.succeed(keys);
    await this.users.recordSignIn(user.id);
    return { ok: true, user };
  }

  /**
   * The Trellis user for someone the issuer signed in: their role comes from the group mapping every time
   * (so a change of groups at the issuer takes effect at the next sign-in).
   */
  async userForOidc(identity: OidcIdentity): Promise<User> {
    const mapping = this.options.oidc?.roles ?? [];
    const grant = roleForGroups(mapping, identity.groups);
    if (!grant) {
      throw new OidcError(
        `${identity.name} signed in at the issuer, but none of their groups (${identity.groups.join(', ') || 'none'}) is mapped to a Trellis role; ask an admin to map one (--oidc-role GROUP=ROLE)`,
      );
    }
    const existing = await this.users.byOidcSubject(identity.subject);
    let user: User;
    if (existing) {
      user = await this.users.update(existing.id, grant);
    } else {
      const username = identity.name.toLowerCase();
      if (usernameProblem(username)) throw new OidcError(`the issuer's name for this person ("${identity.name}") cannot be a Trellis username: ${usernameProblem(username) ?? ''}`);
      if (await this.users.byName(username)) {
        throw new OidcError(`a Trellis account named "${username}" already exists and does not belong to this SSO identity; ask an admin to rename or remove it`);
      }
      user = await this.users.create({ username, oidcSubject: identity.subject, ...grant });
    }
    await this.users.recordSignIn(user.id);
    return user;
  }
}
