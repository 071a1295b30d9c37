import { z } from 'zod';
import { NotFoundError } from '../errors.ts';
import { procedure, router } from './trpc.ts';

export const tracesRouter = router({
  /** Traces with a span matching every filter given, newest first. */
  search: procedure.meta({ permission: 'mesh:read' })
    .input(
      z
        .object({
          service: z.string().max(253).optional(),
          source: z.string().max(253).optional(),
          destination: z.string().max(253).optional(),
          status: z.union([z.enum(['error', 'ok']), z.number().int()]).optional(),
          minDurationMs: z.number().min(0).optional(),
          fromMs: z.number().optional(),
          toMs: z.number().optional(),
          limit: z.number().int().min(1).max(500).default(50),
        })
        .default({ limit: 50 }),
    )
    .query(({ ctx, input }) => ctx.telemetry.spans.search(input)),

  /** One trace's spans, by start time; parentSpanId links them into a tree. */
  get: procedure.meta({ permission: 'mesh:read' }).input(z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/) })).query(async ({ ctx, input }) => {
    const spans = await ctx.telemetry.spans.trace(input.traceId);
    if (spans.length === 0) throw new NotFoundError(`trace ${input.traceId} not found (it may be past retention)`);
    return { traceId: input.traceId, spans };
  }),
});
