import { ROLE_PERMISSIONS, type Permission, type Role } from './permissions.ts';

/** Who is calling the API, once authenticated. */
export interface Principal {
  /** A signed-in person (session or their own token), an API token of nobody's, or the in-memory bootstrap token. */
  kind: 'user' | 'token' | 'bootstrap';
  /** The user's or token's id ("bootstrap" for the bootstrap token). */
  id: string;
  /** The username, or the token's name. */
  name: string;
  role: Role;
  /** Namespaces an editor may change; empty means all. */
  namespaces: string[];
  /** How the call was authenticated. */
  via: 'session' | 'token' | 'bootstrap';
  /** The session or token that authenticated the call (to revoke it on sign-out). */
  credentialId: string;
}

/** What revisions and the audit log record as the author: a person's name, or `token:<name>`. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.name : `token:${principal.name}`;
}

export function permissionsOf(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

/** Why `principal` may not write in `namespace` ("*": every namespace, a mesh-wide policy), or null when it may. */
export function namespaceRefusal(principal: Principal, namespace: string): string | null {
  if (principal.role === 'admin' || principal.namespaces.length === 0 || principal.namespaces.includes(namespace)) return null;
  if (namespace === '*') return `a mesh-wide policy changes every namespace, and yours are only ${principal.namespaces.join(', ')}`;
  return `namespace "${namespace}" is outside your scope (${principal.namespaces.join(', ')})`;
}

/** What `auth.me` and the sign-in answers say about the caller. */
export function describePrincipal(principal: Principal) {
  return {
    kind: principal.kind,
    name: principal.name,
    role: principal.role,
    namespaces: principal.namespaces,
    permissions: [...permissionsOf(principal.role)],
    via: principal.via,
  };
}

/** A path of the dashboard to go back to after signing in; anything else (another site) becomes the graph. */
export function safeReturnTo(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/graph';
}
