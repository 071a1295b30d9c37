import { ROLES, type Role } from './permissions.ts';

/** One rule of the mapping from the issuer's groups to Trellis roles. */
export interface RoleMapping {
  /** A group name as the issuer spells it, or "*" for everyone the issuer signs in. */
  group: string;
  role: Role;
  /** For editors: the namespaces they may change (empty: all). */
  namespaces: string[];
}

/** Single sign-on with an OpenID Connect issuer (authorization code flow with PKCE). */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  /** Without a secret Trellis is a public client (PKCE alone). */
  clientSecret?: string | undefined;
  /** Where the issuer sends people back: the dashboard's /auth/oidc/callback (register it at the issuer). */
  redirectUrl: string;
  scopes: string;
  /** The claim (ID token or userinfo) that lists a person's groups. */
  groupsClaim: string;
  roles: RoleMapping[];
  /** The sign-in button's text. */
  label: string;
}

/**
 * Parses "platform=admin;shop-devs=editor:shop,shop-staging;*=viewer" (also comma-free single rules given
 * one per flag). Throws with the rule named when one does not parse.
 */
export function parseRoleMappings(rules: string[]): RoleMapping[] {
  return rules
    .flatMap((r) => r.split(';'))
    .map((r) => r.trim())
    .filter(Boolean)
    .map((rule) => {
      const m = /^([^=]+)=(\w+)(?::([\w,-]+))?$/.exec(rule);
      const role = m?.[2] as Role | undefined;
      if (!m?.[1] || !role || !(ROLES as readonly string[]).includes(role)) {
        throw new Error(`role mapping "${rule}": write GROUP=ROLE or GROUP=editor:NAMESPACE[,NAMESPACE] (roles: ${ROLES.join(', ')})`);
      }
      return { group: m[1].trim(), role, namespaces: m[3] ? m[3].split(',').filter(Boolean) : [] };
    });
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** The role the mapping gives someone in `groups` (the highest that matches), or null when none matches. */
export function roleForGroups(mappings: RoleMapping[], groups: string[]): { role: Role; namespaces: string[] } | null {
  const matching = mappings.filter((m) => m.group === '*' || groups.includes(m.group));
  if (matching.length === 0) return null;
  const best = matching.reduce((a, b) => (RANK[b.role] > RANK[a.role] ? b : a));
  const same = matching.filter((m) => m.role === best.role);
  // One unrestricted rule for the role means no restriction.
  const namespaces = same.some((m) => m.namespaces.length === 0) ? [] : [...new Set(same.flatMap((m) => m.namespaces))].sort();
  return { role: best.role, namespaces: best.role === 'editor' ? namespaces : [] };
}
