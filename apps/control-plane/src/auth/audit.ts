import type { Context } from '../router/trpc.ts';

/** Records a change to people or tokens in the audit log, beside the resource changes. */
export async function auditAuth(ctx: Pick<Context, 'prisma' | 'actor'>, action: string, kind: 'User' | 'ApiToken', name: string, detail?: string): Promise<void> {
  await ctx.prisma.auditEntry.create({ data: { actor: ctx.actor, action, kind, namespace: '', name, outcome: 'ok', detail: detail ?? null } });
}
