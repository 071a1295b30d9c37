import type { FieldError } from '@trellis/shared';

/** A resource failed validation; nothing was written. */
export class ValidationError extends Error {
  constructor(readonly fieldErrors: FieldError[], prefix = 'invalid resource') {
    super(`${prefix}: ${fieldErrors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}`);
  }
}

/** A write named a resourceVersion that is no longer current (someone else wrote first). */
export class ConflictError extends Error {}

export class NotFoundError extends Error {}
