import { z } from 'zod';
import { SIGNED_IN } from '../auth/permissions.ts';
import { describePrincipal } from '../auth/principal.ts';
import { auditAuth } from '../auth/audit.ts';
import { ValidationError } from '../errors.ts';
import { procedure, router } from './trpc.ts';

const self = { permission: SIGNED_IN } as const;

export const authRouter = router({
  /**
   * Who the caller is: name, role, namespaces, permissions; for people also whether they have a password,
   * sign in with SSO, and how this session was opened (a sign-in link's session may set a password without the old one).
   */
  me: procedure.meta(self).query(async ({ ctx }) => {
    const user = ctx.principal.kind === 'user' ? await ctx.auth.users.byId(ctx.principal.id) : null;
    const session = ctx.principal.via === 'session' ? await ctx.auth.sessions.resolveById(ctx.principal.credentialId) : null;
    return {
      ...describePrincipal(ctx.principal),
      hasPassword: !!user?.passwordHash,
      sso: !!user?.oidcSubject,
      signedInWith: session?.method ?? null,
    };
  }),

  /**
   * Sets the caller's own password. The current one is needed, except in a session opened by a sign-in
   * link (an invitation, or the first run's admin, who never saw theirs). Ends the person's other sessions.
   */
  changePassword: procedure
    .meta(self)
    .input(z.object({ currentPassword: z.string().max(200).optional(), newPassword: z.string().max(200) }))
    .mutation(async ({ ctx, input }) => {
      const principal = ctx.principal;
      if (principal.kind !== 'user') throw new ValidationError([{ path: '', message: 'only people have passwords; this is an API token' }], 'refused');
      const session = principal.via === 'session' ? await ctx.auth.sessions.resolveById(principal.credentialId) : null;
      if (session?.method !== 'link') {
        const check = await ctx.auth.signIn(principal.name, input.currentPassword ?? '', `user:${principal.id}`);
        if (!check.ok) throw new ValidationError([{ path: 'currentPassword', message: check.throttled ? check.message : 'wrong password' }], 'refused');
      }
      await ctx.auth.users.setPassword(principal.id, input.newPassword);
      const ended = await ctx.auth.sessions.revokeForUser(principal.id, principal.via === 'session' ? principal.credentialId : undefined);
      await auditAuth(ctx, 'password.change', 'User', principal.name, `${ended} other session(s) ended`);
      return { otherSessionsEnded: ended };
    }),
});
