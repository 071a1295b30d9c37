import { z } from 'zod';
import { auditAuth } from '../auth/audit.ts';
import { ROLES } from '../auth/permissions.ts';
import { ValidationError } from '../errors.ts';
import { procedure, router } from './trpc.ts';

const manage = { permission: 'users:manage' } as const;
const role = z.enum(ROLES);
const id = z.object({ id: z.uuid() });

export const usersRouter = router({
  /** Everyone who can sign in, with role, namespaces, how they sign in and their live sessions and tokens. */
  list: procedure.meta(manage).query(async ({ ctx }) =>
    (await ctx.auth.users.list()).map((u) => ({
      id: u.id,
      username: u.username,
      role: u.role,
      namespaces: u.namespaces,
      sso: !!u.oidcSubject,
      hasPassword: !!u.passwordHash,
      createdAt: u.createdAt,
      lastSignInAt: u.lastSignInAt,
      sessions: u._count.sessions,
      tokens: u._count.tokens,
    })),
  ),

  /**
   * Creates a person. Without a password the answer carries a one-time sign-in link to hand them (an
   * invitation): it signs them in once, and they set a password.
   */
  create: procedure
    .meta(manage)
    .input(z.object({ username: z.string().max(100), role, namespaces: z.array(z.string()).max(100).default([]), password: z.string().max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.users.create(input);
      await auditAuth(ctx, 'users.create', 'User', user.username, `role ${user.role}${user.namespaces.length ? ` in ${user.namespaces.join(', ')}` : ''}`);
      const link = input.password === undefined ? await ctx.auth.links.create(user.id, ctx.actor) : undefined;
      return { id: user.id, username: user.username, role: user.role, namespaces: user.namespaces, link: link ? { url: ctx.auth.linkUrl(link.secret), expiresAt: link.expiresAt } : null };
    }),

  /** Changes a person's role and namespaces (the last admin stays an admin). Takes effect on their next call. */
  update: procedure
    .meta(manage)
    .input(id.extend({ role: role.optional(), namespaces: z.array(z.string()).max(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.users.update(input.id, input);
      await auditAuth(ctx, 'users.update', 'User', user.username, `role ${user.role}${user.namespaces.length ? ` in ${user.namespaces.join(', ')}` : ''}`);
      return { id: user.id, username: user.username, role: user.role, namespaces: user.namespaces };
    }),

  /** A new one-time sign-in link for a person (forgotten password, or a new invitation). */
  signInLink: procedure
    .meta(manage)
    .input(z.union([id, z.object({ username: z.string().min(1).max(100) })]))
    .mutation(async ({ ctx, input }) => {
      const user = 'id' in input ? await ctx.auth.users.get(input.id) : await ctx.auth.users.byName(input.username);
      if (!user) throw new ValidationError([{ path: 'username', message: 'no such user' }], 'invalid input');
      const link = await ctx.auth.links.create(user.id, ctx.actor);
      await auditAuth(ctx, 'users.signInLink', 'User', user.username);
      return { username: user.username, url: ctx.auth.linkUrl(link.secret), expiresAt: link.expiresAt };
    }),

  /** Signs a person out everywhere: their sessions and their own (`trellis login`) tokens end now. */
  revokeSessions: procedure
    .meta(manage)
    .input(id)
    .mutation(async ({ ctx, input }) => {
      const user = await ctx.auth.users.get(input.id);
      const sessions = await ctx.auth.sessions.revokeForUser(user.id);
      const tokens = await ctx.auth.tokens.revokeForUser(user.id);
      await auditAuth(ctx, 'users.revokeSessions', 'User', user.username, `${sessions} session(s), ${tokens} token(s)`);
      return { sessions, tokens };
    }),

  /** Removes a person, their sessions and tokens (not yourself, not the last admin). */
  remove: procedure
    .meta(manage)
    .input(id)
    .mutation(async ({ ctx, input }) => {
      if (ctx.principal.kind === 'user' && ctx.principal.id === input.id) {
        throw new ValidationError([{ path: 'id', message: 'you cannot remove yourself; ask another admin' }], 'refused');
      }
      const user = await ctx.auth.users.remove(input.id);
      await auditAuth(ctx, 'users.remove', 'User', user.username);
      return { id: user.id, username: user.username };
    }),
});
