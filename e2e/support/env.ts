import { fileURLToPath } from 'node:url';

/**
 * Where the e2e product runs: ports away from `npm start`'s defaults, so both can run at once
 * (TRELLIS_E2E_PORT moves the whole block: control plane, dashboard +1, the test OIDC issuer +2, the
 * session-expiry spec's own control plane and dashboard +60/+61, demo mesh from +10). To run the specs
 * against a product that is already up, set TRELLIS_E2E_DASHBOARD and TRELLIS_E2E_SERVER, and its admin's
 * credentials in TRELLIS_E2E_ADMIN_PASSWORD and TRELLIS_E2E_TOKEN (an admin API token).
 */
const BASE = Number(process.env.TRELLIS_E2E_PORT ?? 17400);
export const EXISTING = !!process.env.TRELLIS_E2E_DASHBOARD;
export const CONTROL_PLANE = process.env.TRELLIS_E2E_SERVER ?? `http://127.0.0.1:${BASE}`;
export const DASHBOARD = process.env.TRELLIS_E2E_DASHBOARD ?? `http://127.0.0.1:${BASE + 1}`;
export const PORT_BASE = BASE + 10;
/** The OpenID Connect issuer the e2e product signs people in with (oidc-provider, started with it). */
export const OIDC_ISSUER = `http://127.0.0.1:${BASE + 2}`;
/** A second control plane and dashboard with short sessions (session-expiry.spec.ts). */
export const SHORT_SESSIONS = { controlPlanePort: BASE + 60, dashboardPort: BASE + 61 };

/** The first admin, whose password the e2e product is started with (TRELLIS_ADMIN_PASSWORD). */
export const ADMIN = { username: 'admin', password: process.env.TRELLIS_E2E_ADMIN_PASSWORD ?? 'e2e admin password, not for production' };
/** The admin API token the e2e product holds in memory (TRELLIS_BOOTSTRAP_TOKEN): setup and clean-up use it. */
export const ADMIN_TOKEN = process.env.TRELLIS_E2E_TOKEN ?? 'trb_e2e-bootstrap-token-not-for-production';
/** Where the signed-in admin's browser state is kept between global setup and the specs. */
export const ADMIN_STATE = fileURLToPath(new URL('../../test-results/e2e-auth/admin.json', import.meta.url));

/** People the test issuer knows (any password), and how their groups map to roles. */
export const SSO_PEOPLE = {
  'sso-platform': { groups: ['platform', 'everyone'] },
  'sso-shop': { groups: ['shop-devs', 'everyone'] },
  'sso-reader': { groups: ['everyone'] },
};
export const SSO_ROLES = 'platform=admin;shop-devs=editor:shop;everyone=viewer';
/** The client the test issuer registers (ISSUER_CLIENT in its module, which this config does not load). */
export const SSO_CLIENT = { id: 'trellis', secret: 'trellis-test-client-secret' };
