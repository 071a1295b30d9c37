import type { FieldError } from '@trellis/shared';

export interface ApiErrorInfo {
  code: string | undefined;
  message: string;
  fieldErrors: FieldError[];
}

/** What a failed call said: the tRPC code (BAD_REQUEST, CONFLICT…), its message and any field errors. */
export function apiError(error: unknown): ApiErrorInfo {
  const e = error as { message?: string; data?: { code?: string; fieldErrors?: FieldError[] } | null } | null;
  return {
    code: e?.data?.code ?? undefined,
    message: e?.message ?? String(error),
    fieldErrors: Array.isArray(e?.data?.fieldErrors) ? e.data.fieldErrors : [],
  };
}
