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

/** A failed call in words: what happened, and what the person can do about it (never raw JSON). */
export function humanError(error: unknown): { what: string; todo: string } {
  const info = apiError(error);
  const message = info.message.trim();
  if (info.code === 'FORBIDDEN') return { what: message || 'Your role may not see this.', todo: 'Ask an admin for a role that may (Users & tokens).' };
  if (info.code === 'UNAUTHORIZED') return { what: 'Your session has ended.', todo: 'Sign in again.' };
  if (info.code === 'NOT_FOUND') return { what: message, todo: 'It may have been deleted, or aged out; go back to the list.' };
  // tRPC's input validation says what zod found as a JSON list of issues.
  if (/^[[{]/.test(message)) {
    try {
      const issues = JSON.parse(message) as { path?: (string | number)[]; message?: string }[];
      const list = (Array.isArray(issues) ? issues : [issues]).map((i) => `${(i.path ?? []).join('.') || 'the request'} ${i.message ?? 'is not valid'}`.trim());
      return { what: `The address asks for something that cannot exist: ${list.join('; ')}.`, todo: 'Check the link, or start again from the page’s list.' };
    } catch {
      // Not JSON after all: said as it is, below.
    }
  }
  if (/fetch failed|failed to fetch|networkerror|ECONNREFUSED/i.test(message)) {
    return { what: 'The dashboard could not reach the control plane.', todo: 'Check that it is running; this page tries again by itself.' };
  }
  return { what: message || 'Something went wrong.', todo: 'Try again. If it keeps failing, the control plane’s log says why.' };
}
