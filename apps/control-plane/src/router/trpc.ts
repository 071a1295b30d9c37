import { initTRPC, TRPCError } from '@trpc/server';
import { checkInputBounds } from '@trellis/shared';
import type { ProcedureMeta } from '../auth/permissions.ts';
import { errorShape } from './error-shape.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { ControlPlaneServices } from '../services.ts';

export interface Context extends ControlPlaneServices {
  /** Who is calling, recorded as the author of revisions (header x-trellis-user, or connection params). */
  actor: string;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  // Field errors for bad input; only a request id (its details in the log) for anything unexpected.
  errorFormatter: ({ shape, error, path, ctx }) => errorShape({ shape, error, path, log: ctx?.log }),
});

/**
 * A procedure's raw input without the resource documents of resources.apply and upsertMany: parseResource
 * holds those to the same bounds, naming fields inside the document as its other errors do (and auditing
 * the refusal). How many documents there are is left to the procedure's own schema.
 */
function withoutDocuments(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { resource: _document, resources, ...rest } = raw as Record<string, unknown>;
  return Array.isArray(resources) ? rest : { ...rest, resources };
}

/**
 * Refuses input no schema should see (NUL, lone surrogates, prototype keys, deep nesting, huge arrays),
 * for every procedure; then turns store errors into tRPC errors with the right code, keeping the
 * message and field errors.
 */
const domainErrors = t.middleware(async ({ next, getRawInput }) => {
  const unbounded = checkInputBounds(withoutDocuments(await getRawInput()));
  if (unbounded) {
    const cause = new ValidationError([unbounded], 'invalid input');
    throw new TRPCError({ code: 'BAD_REQUEST', message: cause.message, cause });
  }
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code =
      cause instanceof ValidationError ? 'BAD_REQUEST' : cause instanceof ConflictError ? 'CONFLICT' : cause instanceof NotFoundError ? 'NOT_FOUND' : undefined;
    if (code) throw new TRPCError({ code, message: cause?.message ?? result.error.message, cause });
  }
  return result;
});

export const router = t.router;
export const procedure = t.procedure.use(domainErrors);
