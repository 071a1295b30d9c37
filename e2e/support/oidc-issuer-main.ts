// The e2e product's OpenID Connect issuer: the same real oidc-provider the control plane's tests use,
// on the e2e port block, until Playwright stops it.
import { startOidcIssuer } from '../../apps/control-plane/test/support/oidc-issuer.ts';
import { DASHBOARD, OIDC_ISSUER, SSO_PEOPLE } from './env.ts';

const issuer = await startOidcIssuer({ port: Number(new URL(OIDC_ISSUER).port), redirectUris: [`${DASHBOARD}/auth/oidc/callback`], people: SSO_PEOPLE });
process.stdout.write(`oidc issuer ready at ${issuer.issuer}\n`);
const stop = () => void issuer.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
