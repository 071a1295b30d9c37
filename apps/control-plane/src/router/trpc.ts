import { initTRPC, TRPCError } from '@trpc/server';
import type { FieldError } from '@trellis/shared';
import type { ProcedureMeta } from '../auth/permissions.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { ControlPlaneServices } from '../services.ts';

export interface Context extends ControlPlaneServices {
  /** Who is calling, recorded as the author of revisions (header x-trellis-user, or connection params). */
  actor: string;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors: FieldError[] | undefined = cause instanceof ValidationError ? cause.fieldErrors : undefined;
    return { ...shape, data: { ...shape.data, ...(fieldErrors ? { fieldErrors } : {}), stack: undefined } };
  },
});

/** Turns store errors into tRPC errors with the right code, keeping the message and field errors. */
const domainErrors = t.middleware(async ({ next }) => {
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
