import { randomBytes } from 'node:crypto';
import type { TRPCDefaultErrorShape, TRPCError } from '@trpc/server';
import { describeErrors, formatIssues, type FieldError } from '@trellis/shared';
import { ZodError } from 'zod';
import { ValidationError } from '../errors.ts';

/** A short id that names one failed request in the log and in its answer. */
const newRequestId = (): string => randomBytes(6).toString('hex');

const stderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * What a client sees of an error. Validation errors keep their message and gain `fieldErrors`
 * (procedure inputs too, named by field instead of zod's JSON). Anything unexpected (Prisma, SQL, a
 * bug) shows only a request id; its message and stack go to the control plane's log under that id.
 */
export function errorShape(opts: {
  shape: TRPCDefaultErrorShape;
  error: TRPCError;
  path: string | undefined;
  log: ((line: string) => void) | undefined;
}) {
  const { shape, error, path } = opts;
  const cause = error.cause;
  let message = shape.message;
  let fieldErrors: FieldError[] | undefined;
  let requestId: string | undefined;
  if (cause instanceof ValidationError) {
    fieldErrors = cause.fieldErrors;
  } else if (cause instanceof ZodError) {
    fieldErrors = formatIssues(cause.issues);
    message = `invalid input: ${describeErrors(fieldErrors)}`;
  } else if (error.code === 'INTERNAL_SERVER_ERROR') {
    requestId = newRequestId();
    const inner = cause ?? error;
    (opts.log ?? stderr)(`request ${requestId} (${path ?? 'no procedure'}) failed: ${inner.stack ?? inner.message}`);
    message = `internal error (request id ${requestId}); the control plane's log has the details under that id`;
  }
  return {
    ...shape,
    message,
    data: { ...shape.data, ...(fieldErrors ? { fieldErrors } : {}), ...(requestId ? { requestId } : {}), stack: undefined },
  };
}
