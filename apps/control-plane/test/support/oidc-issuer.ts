import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** A person the test issuer knows: anyone may sign in as them with any password (oidc-provider's dev interactions). */
export interface IssuerPerson {
  groups: string[];
  email?: string;
}

export const ISSUER_CLIENT = { id: 'trellis', secret: 'trellis-test-client-secret' } as const;

/**
 * A real OpenID Connect issuer (panva's oidc-provider, the certified implementation) on a loopback port:
 * discovery, authorization code flow with PKCE required, ID tokens, userinfo with a `groups` claim. Its
 * development login and consent pages are plain HTML forms, which the tests fill in as a browser would.
 */
export async function startOidcIssuer(options: { redirectUris: string[]; people: Record<string, IssuerPerson>; port?: number }) {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: ISSUER_CLIENT.id,
        client_secret: ISSUER_CLIENT.secret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    async findAccount(_ctx, id) {
      const person = options.people[id];
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: id, email: person.email ?? `${id}@example.test`, groups: person.groups }),
      };
    },
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    pkce: { required: () => true },
    cookies: { keys: ['trellis-test-issuer-cookie-key'] },
    // A signing key of its own and explicit lifetimes, instead of the development defaults it warns about.
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    features: { devInteractions: { enabled: true } },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
