import { z } from 'zod';
import { auditAuth } from '../auth/audit.ts';
import { ROLES } from '../auth/permissions.ts';
import { procedure, router } from './trpc.ts';

const manage = { permission: 'users:manage' } as const;

/** API tokens for scripts and CI (a person's own `trellis login` tokens are listed too, under their name). */
export const tokensRouter = router({
  list: procedure.meta(manage).query(async ({ ctx }) =>
    (await ctx.auth.tokens.list()).map((t) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      /** The person a login token acts as; null for a token with its own role. */
      user: t.user?.username ?? null,
      role: t.role,
      namespaces: t.namespaces,
      createdBy: t.createdBy,
      createdAt: t.createdAt,
      expiresAt: t.expiresAt,
      lastUsedAt: t.lastUsedAt,
    })),
  ),

  /** Creates a token with its own role (and namespaces for an editor). The token is in this answer only. */
  create: procedure
    .meta(manage)
    .input(
      z.object({
        name: z.string().max(100),
        role: z.enum(ROLES),
        namespaces: z.array(z.string()).max(100).default([]),
        /** Lifetime in seconds; none means it lasts until revoked. */
        ttlSeconds: z.number().int().min(60).max(5 * 365 * 86_400).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { secret, token } = await ctx.auth.tokens.create({
        name: input.name,
        role: input.role,
        namespaces: input.namespaces,
        ...(input.ttlSeconds ? { ttlMs: input.ttlSeconds * 1000 } : {}),
        createdBy: ctx.actor,
      });
      await auditAuth(ctx, 'tokens.create', 'ApiToken', token.name, `role ${input.role}${token.namespaces.length ? ` in ${token.namespaces.join(', ')}` : ''}`);
      return { id: token.id, name: token.name, role: token.role, namespaces: token.namespaces, expiresAt: token.expiresAt, token: secret };
    }),

  /** Revokes a token: its next call fails. */
  revoke: procedure
    .meta(manage)
    .input(z.object({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const token = await ctx.auth.tokens.revoke(input.id);
      await auditAuth(ctx, 'tokens.revoke', 'ApiToken', token.name);
      return { id: token.id, name: token.name };
    }),
});
