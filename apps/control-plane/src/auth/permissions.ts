import type { ResourceStore } from '../store/resources.ts';

// Who may do what. Every tRPC procedure names the one permission it needs (its `meta`); one middleware
// (router/trpc.ts) checks it against the caller's role, so no procedure checks by hand.

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Read anything: resources, services, proxies, graph, metrics, traces, tap, identities. */
  'mesh:read',
  /** Create, change, delete and roll back policies and Service resources (editors: maybe only some namespaces). */
  'policy:write',
  /** Create and revoke join tokens that let proxies into the mesh. */
  'join-tokens:manage',
  /** Rotate the mesh CA's trust bundle. */
  'ca:manage',
  /** People and API tokens: create, change role, revoke sessions and tokens. */
  'users:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each role may do. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['mesh:read'],
  editor: ['mesh:read', 'policy:write'],
  admin: PERMISSIONS,
};

/** The least role that has `permission` (for "ask an admin for the editor role"). */
export function leastRoleWith(permission: Permission): Role {
  return ROLES.find((r) => ROLE_PERMISSIONS[r].includes(permission)) ?? 'admin';
}

/** What every signed-in caller may do about themselves (auth.me, auth.changePassword), whatever their role. */
export const SIGNED_IN = 'signed-in';

/** What a procedure declares: the permission it needs, and for namespaced writes which namespace(s) it touches. */
export interface ProcedureMeta {
  permission: Permission | typeof SIGNED_IN;
  /**
   * The namespaces the call changes, from its input and, where the input names a stored resource, from
   * that resource (editors may be limited to some namespaces; "*" means every namespace).
   */
  namespacesOf?: (input: unknown, ctx: { store: ResourceStore }) => string[] | Promise<string[]>;
}
