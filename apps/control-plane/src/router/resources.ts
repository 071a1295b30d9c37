import { z } from 'zod';
import { parseResource, type Resource } from '@trellis/shared';
import { ResourceStore, type ApplyOutcome } from '../store/resources.ts';
import { diffObjects } from '../store/diff.ts';
import { revisionBody } from '../store/representation.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { affectedNamespaces, storedNamespaces } from '../auth/scope.ts';
import { existingServices } from '../catalog.ts';
import { targetWarnings } from '../compiler/target-warnings.ts';
import type { ControlPlaneServices } from '../services.ts';
import { procedure, router } from './trpc.ts';

// Kinds are short words, namespaces DNS labels, names at most 253 characters (as Kubernetes has it).
const ref = z.object({ kind: z.string().min(1).max(63), name: z.string().min(1).max(253), namespace: z.string().min(1).max(63).default('default') });
const note = z.string().max(2000);

const toRef = (input: z.infer<typeof ref>) => ({ kind: ResourceStore.kind(input.kind), namespace: input.namespace, name: input.name });

/** The most resources one multi-document apply takes (they are written in one transaction). */
const MAX_DOCUMENTS = 1000;

const read = { permission: 'mesh:read' } as const;
/** The stored resource a delete or rollback names, as its namespaces are read from it. */
function refOf(input: unknown): { kind: string; name: string; namespace: string } {
  const i = (input ?? {}) as { kind?: unknown; name?: unknown; namespace?: unknown };
  const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);
  return { kind: text(i.kind, ''), name: text(i.name, ''), namespace: text(i.namespace, 'default') };
}

/** What applying `resource` would change, without writing it. */
async function dryRun(store: ResourceStore, resource: unknown) {
  const parsed = parseResource(resource);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  const wanted = revisionBody(parsed.resource);
  const current = await store.get({ kind: wanted.kind, namespace: wanted.metadata.namespace, name: wanted.metadata.name });
  const changes = diffObjects(current ? revisionBody(current) : null, wanted);
  const outcome: ApplyOutcome = current ? (changes.length ? 'updated' : 'unchanged') : 'created';
  return { resource: parsed.resource, outcome, changes, dryRun: true };
}

/** Each applied resource's warnings (accepted, but probably not what was meant), in order. */
type WarningContext = Pick<ControlPlaneServices, 'distributor' | 'registry' | 'stream'>;

function withWarnings<T extends { resource: Resource }>(ctx: WarningContext, results: T[]): (T & { warnings: string[] })[] {
  const warnings = targetWarnings(results.map((r) => r.resource), existingServices(ctx));
  return results.map((r, i) => ({ ...r, warnings: warnings[i] ?? [] }));
}

function withWarning<T extends { resource: Resource }>(ctx: WarningContext, result: T): T & { warnings: string[] } {
  return { ...result, warnings: targetWarnings([result.resource], existingServices(ctx))[0] ?? [] };
}

export const resourcesRouter = router({
  list: procedure
    .meta(read)
    .input(z.object({ kind: z.string().max(63).optional(), namespace: z.string().max(63).optional() }).default({}))
    .query(({ ctx, input }) => ctx.store.list({ kind: input.kind ? ResourceStore.kind(input.kind) : undefined, namespace: input.namespace })),

  get: procedure.meta(read).input(ref).query(async ({ ctx, input }) => {
    const found = await ctx.store.get(toRef(input));
    if (!found) throw new NotFoundError(`${toRef(input).kind} ${input.namespace}/${input.name} not found`);
    return found;
  }),

  /**
   * Creates or updates a resource (kubectl apply). Scripts call it as `resources.apply`: tRPC reserves
   * the word `apply` for its typed clients, so the server maps that path here (server.ts).
   * With dryRun, validates and returns the change without writing.
   */
  upsert: procedure
    // Writes name the namespaces they change (where the resource lives and where it takes effect): an editor may be limited to some.
    .meta({ permission: 'policy:write', namespacesOf: (input) => affectedNamespaces((input as { resource?: unknown }).resource) })
    .input(z.object({ resource: z.unknown(), note: note.optional(), dryRun: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      if (input.dryRun) return withWarning(ctx, await dryRun(ctx.store, input.resource));
      const result = await ctx.store.apply(input.resource, { author: ctx.actor, note: input.note });
      return withWarning(ctx, { ...result, changes: [], dryRun: false });
    }),

  /**
   * Several resources in one transaction (`trellis apply -f` with many documents): all are written or
   * none. Validation errors name the document as `documents[i].<field>`.
   */
  upsertMany: procedure
    .meta({ permission: 'policy:write', namespacesOf: (input) => (Array.isArray((input as { resources?: unknown }).resources) ? (input as { resources: unknown[] }).resources : []).flatMap(affectedNamespaces) })
    .input(
      z.object({
        resources: z.array(z.unknown()).min(1, 'nothing to apply').max(MAX_DOCUMENTS, `at most ${MAX_DOCUMENTS} resources per apply; split the file`),
        note: note.optional(),
        dryRun: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.dryRun) {
        const checked = await Promise.all(
          input.resources.map((r, i) =>
            dryRun(ctx.store, r).catch((err: unknown) => {
              // Name the document, as a real apply does.
              if (err instanceof ValidationError && input.resources.length > 1) {
                throw new ValidationError(err.fieldErrors.map((e) => ({ ...e, path: [`documents[${i}]`, e.path].filter(Boolean).join('.') })));
              }
              throw err;
            }),
          ),
        );
        return withWarnings(ctx, checked);
      }
      const results = await ctx.store.applyAll(input.resources, { author: ctx.actor, note: input.note });
      return withWarnings(ctx, results.map((r) => ({ ...r, changes: [], dryRun: false })));
    }),

  delete: procedure
    .meta({ permission: 'policy:write', namespacesOf: (input, ctx) => storedNamespaces(ctx.store, refOf(input)) })
    .input(ref.extend({ resourceVersion: z.string().max(20).optional(), note: note.optional() }))
    .mutation(({ ctx, input }) => ctx.store.delete(toRef(input), { author: ctx.actor, note: input.note, resourceVersion: input.resourceVersion })),

  history: procedure.meta(read).input(ref).query(({ ctx, input }) => ctx.store.history(toRef(input))),

  diff: procedure
    .meta(read)
    .input(ref.extend({ from: z.number().int().min(1), to: z.number().int().min(1).optional() }))
    .query(({ ctx, input }) => ctx.store.diff(toRef(input), input.from, input.to)),

  rollback: procedure
    .meta({ permission: 'policy:write', namespacesOf: (input, ctx) => storedNamespaces(ctx.store, refOf(input), Number((input as { to?: unknown } | null)?.to)) })
    .input(ref.extend({ to: z.number().int().min(1), note: note.optional() }))
    .mutation(({ ctx, input }) => ctx.store.rollback(toRef(input), input.to, { author: ctx.actor, note: input.note })),
});
