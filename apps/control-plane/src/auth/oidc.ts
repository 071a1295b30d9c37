import * as client from 'openid-client';
import type { Database } from '../db/open.ts';
import type { OidcOptions } from './oidc-config.ts';
import { SECRET_PREFIX, hashSecret, newSecret } from './secrets.ts';

/** How long someone may take at the issuer. */
const LOGIN_TTL_MS = 10 * 60_000;

/** Who the issuer says signed in. */
export interface OidcIdentity {
  /** "<issuer> <sub>": stable, unlike names. */
  subject: string;
  /** A name for Trellis: preferred_username, else email, else sub. */
  name: string;
  groups: string[];
}

/** A sign-in that came back from the issuer. */
export interface OidcResult {
  identity: OidcIdentity;
  returnTo: string;
  /** Set for `trellis login --sso`: where to send the browser with the one-time code. */
  cli?: { redirect: string; loginId: string };
}

export class OidcError extends Error {}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/**
 * The relying party: openid-client (OpenID-certified) does discovery, PKCE, state and nonce checks and
 * ID token validation; this class keeps the sign-ins in progress in the database (state stored hashed).
 */
export class OidcRelyingParty {
  private config: Promise<client.Configuration> | undefined;

  constructor(
    private readonly prisma: Database,
    readonly options: OidcOptions,
  ) {}

  private configuration(): Promise<client.Configuration> {
    this.config ??= (async () => {
      const issuer = new URL(this.options.issuer);
      // Plain HTTP only for an issuer on this machine (development and tests); anything else needs HTTPS.
      const execute = issuer.protocol === 'http:' && isLoopback(issuer) ? [client.allowInsecureRequests] : [];
      const auth = this.options.clientSecret ? client.ClientSecretPost(this.options.clientSecret) : client.None();
      return client.discovery(issuer, this.options.clientId, this.options.clientSecret, auth, { execute, timeout: 10 });
    })().catch((err: unknown) => {
      this.config = undefined;
      throw new OidcError(`cannot use the OIDC issuer ${this.options.issuer}: ${(err as Error).message}; check --oidc-issuer and that it is reachable`);
    });
    return this.config;
  }

  /** Starts a sign-in: the issuer URL to send the browser to, and the state (the browser keeps it in a cookie). */
  async start(returnTo: string, cli?: { redirect: string; challenge: string }): Promise<{ url: string; state: string }> {
    const config = await this.configuration();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    await this.prisma.oidcLogin.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    await this.prisma.oidcLogin.create({
      data: {
        stateHash: hashSecret(state),
        codeVerifier,
        nonce,
        returnTo,
        cliRedirect: cli?.redirect ?? null,
        cliChallenge: cli?.challenge ?? null,
        expiresAt: new Date(Date.now() + LOGIN_TTL_MS),
      },
    });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.options.redirectUrl,
      scope: this.options.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Finishes a sign-in from the issuer's redirect (`callbackUrl` as the browser requested it). A browser
   * sign-in must come back to the browser that started it (`browserState`, from its cookie); a CLI one is
   * tied to the CLI by its verifier instead.
   */
  async finish(callbackUrl: URL, browserState: string | undefined): Promise<OidcResult> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const issuerError = callbackUrl.searchParams.get('error');
    const login = state ? await this.prisma.oidcLogin.findUnique({ where: { stateHash: hashSecret(state) } }) : null;
    if (!login || login.expiresAt.getTime() < Date.now() || login.cliCodeHash) {
      throw new OidcError('this sign-in is unknown or has expired; start again from the sign-in page');
    }
    if (!login.cliRedirect && browserState !== state) throw new OidcError('this sign-in was started in another browser; start again from the sign-in page');
    if (issuerError) {
      await this.prisma.oidcLogin.delete({ where: { id: login.id } });
      throw new OidcError(`the issuer refused the sign-in: ${issuerError}${callbackUrl.searchParams.get('error_description') ? ` (${callbackUrl.searchParams.get('error_description')})` : ''}`);
    }
    const config = await this.configuration();
    // The issuer checks the code against redirect_uri, so the URL it sees must be the registered one,
    // whatever host name the browser used to reach us.
    const current = new URL(this.options.redirectUrl);
    current.search = callbackUrl.search;
    let tokens;
    try {
      tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: login.codeVerifier, expectedState: state, expectedNonce: login.nonce });
    } catch (err) {
      throw new OidcError(`the issuer's answer was refused: ${(err as Error).message}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcError('the issuer sent no ID token');
    let all: Record<string, unknown> = claims;
    // Many issuers put groups (and names) only in userinfo.
    if (!(this.options.groupsClaim in claims) && tokens.access_token) {
      all = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
    }
    const raw = all[this.options.groupsClaim];
    const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
    const pick = (k: string) => (typeof all[k] === 'string' && all[k] ? (all[k] as string) : undefined);
    const identity = { subject: `${config.serverMetadata().issuer} ${claims.sub}`, name: pick('preferred_username') ?? pick('email') ?? claims.sub, groups };
    if (login.cliRedirect) return { identity, returnTo: login.returnTo, cli: { redirect: login.cliRedirect, loginId: login.id } };
    await this.prisma.oidcLogin.delete({ where: { id: login.id } });
    return { identity, returnTo: login.returnTo };
  }

  /** For a CLI sign-in the issuer confirmed: a one-time code for the CLI to exchange, bound to `userId`. */
  async cliCode(loginId: string, userId: string): Promise<string> {
    const code = newSecret(SECRET_PREFIX.cliCode);
    await this.prisma.oidcLogin.update({ where: { id: loginId }, data: { cliCodeHash: hashSecret(code), userId, expiresAt: new Date(Date.now() + 2 * 60_000) } });
    return code;
  }

  /** The user a CLI's code stands for, if its verifier matches the challenge it started with; the code is used up. */
  async redeemCliCode(code: string, verifier: string): Promise<string | null> {
    const login = await this.prisma.oidcLogin.findUnique({ where: { cliCodeHash: hashSecret(code) } });
    if (!login) return null;
    await this.prisma.oidcLogin.delete({ where: { id: login.id } });
    if (login.expiresAt.getTime() < Date.now() || !login.userId || !login.cliChallenge) return null;
    return (await client.calculatePKCECodeChallenge(verifier)) === login.cliChallenge ? login.userId : null;
  }
}
