import { z } from 'zod';
import { dnsLabel, parseLifetime } from '@trellis/shared';
import { NotFoundError, ValidationError } from '../errors.ts';
import { securityOverview } from '../identity/overview.ts';
import { RotationError } from '../identity/rotation.ts';
import { procedure, router } from './trpc.ts';

const MAX_TOKEN_TTL = 365 * 86_400_000;

const lifetime = z.string().transform((text, ctx) => {
  const ms = parseLifetime(text);
  if (ms === undefined || ms < 60_000 || ms > MAX_TOKEN_TTL) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a lifetime from 1m to 365d; write it like "24h" or "7d"` });
    return z.NEVER;
  }
  return ms;
});

const manageTokens = { permission: 'join-tokens:manage' } as const;
const read = { permission: 'mesh:read' } as const;

/** Workload identity: join tokens that let proxies in, the mesh CA and its trust bundle, issued certificates. */
export const identityRouter = router({
  joinTokens: router({
    /** A token that lets proxies join as one service; the token is in this answer only. */
    create: procedure
      .meta(manageTokens)
      .input(z.object({ service: dnsLabel, namespace: dnsLabel.default('default'), ttl: lifetime.prefault('24h') }))
      .mutation(({ ctx, input }) =>
        ctx.identity.tokens.create({ service: input.service, namespace: input.namespace, ttlMs: input.ttl, createdBy: ctx.actor, pin: ctx.identity.ca.issuing.pin }),
      ),

    list: procedure.meta(manageTokens).query(({ ctx }) => ctx.identity.tokens.list()),

    /** Revokes a token: no proxy joins with it again, and proxies whose certificates descend from it are disconnected. */
    revoke: procedure
      .meta(manageTokens)
      .input(z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, { error: 'a token id is 12 hex characters (the first part of the token)' }) }))
      .mutation(async ({ ctx, input }) => {
        const info = await ctx.identity.tokens.revoke(input.id);
        if (!info) throw new NotFoundError(`join token ${input.id} not found`);
        // Proxies on other replicas are cut off there (JoinTokens' 'revoked' goes over the replica bus).
        return { ...info, disconnected: ctx.stream.disconnectToken(input.id) };
      }),
  }),

  ca: router({
    /** The trust domain, the roots in the trust bundle, and the state of a rotation. */
    status: procedure.meta(read).query(({ ctx }) => ({
      trustDomain: ctx.identity.trustDomain,
      operatorManaged: ctx.identity.ca.operatorManaged,
      bundleVersion: ctx.identity.ca.bundle().version,
      roots: ctx.identity.ca.describeRoots(),
      issuingRoot: ctx.identity.ca.issuing.rootId,
      certificateTtlMs: ctx.identity.certTtlMs,
      rotation: ctx.rotation.status(),
    })),

    /** Starts moving the mesh to a new root: added to every proxy's bundle, re-issued, then the old one retired. */
    rotate: procedure.meta({ permission: 'ca:manage' }).mutation(async ({ ctx }) => {
      if (ctx.identity.ca.operatorManaged) throw new ValidationError([{ path: '', message: 'the CA uses an intermediate the operator brought (--ca-cert); rotate it outside Trellis' }], 'cannot rotate');
      try {
        return await ctx.rotation.start();
      } catch (err) {
        if (err instanceof RotationError) throw new ValidationError([{ path: '', message: err.message }], 'cannot rotate');
        throw err;
      }
    }),
  }),

  /** The trust bundle and rotation, each service's mTLS mode, identities, certificates and who may call it. */
  overview: procedure.meta(read).query(({ ctx }) => securityOverview(ctx)),

  /** Workload certificates that are still valid, newest first. */
  certificates: procedure.meta(read).query(async ({ ctx }) =>
    (await ctx.identity.certificates()).map((c) => ({ ...c, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), createdAt: c.createdAt.toISOString() })),
  ),
});
