import { initTRPC, TRPCError } from '@trpc/server';
import { checkInputBounds } from '@trellis/shared';
import type { CallerContext } from '../auth/http.ts';
import { leastRoleWith, SIGNED_IN, type ProcedureMeta } from '../auth/permissions.ts';
import { actorOf, namespaceRefusal, permissionsOf } from '../auth/principal.ts';
import { errorShape } from './error-shape.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { ControlPlaneServices } from '../services.ts';

export interface Context extends ControlPlaneServices, CallerContext {
  /**
   * Who is calling, recorded as the author of revisions: the signed-in person's name or `token:<name>`
   * (set by the permission middleware from the authenticated principal, never from a header).
   */
  actor: string;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  // Field errors for bad input; only a request id (its details in the log) for anything unexpected.
  errorFormatter: ({ shape, error, path, ctx }) => errorShape({ shape, error, path, log: ctx?.log }),
  // Subscriptions over HTTP (server-sent events, what the dashboard uses through its proxy) get a ping
  // now and then, so idle streams are not cut by anything in between and a dead one is noticed.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
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

/**
 * The one place permissions are enforced: every procedure declares the permission it needs (meta), the
 * caller's role must have it (401 for nobody, 403 naming what is missing), and an editor limited to some
 * namespaces may write only there. A WebSocket's caller is checked again on every call, so revoking a
 * token or session takes effect on its next call there too.
 */
const enforce = t.middleware(async ({ ctx, meta, path, type, getRawInput, next }) => {
  if (!meta) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `${path} declares no permission; it is refused until it does` });
  if (ctx.refusal) throw new TRPCError(ctx.refusal);
  const principal = ctx.principal && ctx.transport === 'ws' ? await ctx.auth.stillValid(ctx.principal) : ctx.principal;
  if (!principal) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.principal
        ? 'your credentials were revoked or have expired; sign in again'
        : 'not signed in: send Authorization: Bearer <token> (`trellis login`, or a token from `trellis token create`) or sign in to the dashboard',
    });
  }
  if (meta.permission !== SIGNED_IN && !permissionsOf(principal.role).includes(meta.permission)) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `your role (${principal.role}) lacks the permission ${meta.permission} that ${path} needs; ask an admin for the ${leastRoleWith(meta.permission)} role`,
    });
  }
  if (meta.namespacesOf) {
    for (const namespace of new Set(await meta.namespacesOf(await getRawInput(), ctx))) {
      const refusal = namespaceRefusal(principal, namespace);
      if (refusal) throw new TRPCError({ code: 'FORBIDDEN', message: `${meta.permission} refused: ${refusal}; ask an admin to add it` });
    }
  }
  const result = await next({ ctx: { principal, actor: actorOf(principal) } });
  // A subscription is one call that lasts: it ends when its credentials are revoked or expire.
  if (type === 'subscription' && result.ok && isAsyncIterable(result.data)) {
    return { ...result, data: whileValid(result.data, () => ctx.auth.stillValid(principal), ctx.auth.sessions.options.recheckMs) };
  }
  return result;
});

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof v === 'object' && v !== null && Symbol.asyncIterator in v;

/**
 * The subscription's events while its caller still holds: checked every `recheckMs` (a database read, so
 * a revocation made through any control plane counts); once revoked, the stream ends with 401.
 */
async function* whileValid<T>(source: AsyncIterable<T>, stillValid: () => Promise<unknown>, recheckMs: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  let revoked: (() => void) | undefined;
  const revocation = new Promise<'revoked'>((resolve) => (revoked = () => resolve('revoked')));
  const check = async () => {
    try {
      if (!(await stillValid())) return revoked?.();
    } catch {
      // The database is unreachable for a moment: keep the stream, check again later.
    }
    timer = setTimeout(() => void check(), recheckMs);
  };
  timer = setTimeout(() => void check(), recheckMs);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), revocation]);
      if (next === 'revoked') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'your credentials were revoked or have expired; sign in again' });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    // Not awaited: a source waiting for its next event ends when tRPC aborts the call's signal.
    void iterator.return?.();
  }
}

export const router = t.router;
// Who may call comes first: a caller without the permission learns nothing about its input.
export const procedure = t.procedure.use(enforce).use(domainErrors);
