import { z } from 'zod';
import { listServices } from '../catalog.ts';
import { buildGraph } from '../telemetry/graph.ts';
import type { Context } from './trpc.ts';
import { procedure, router } from './trpc.ts';

const graphInput = z
  .object({
    namespace: z.string().optional(),
    /** Rates and percentiles over this many past seconds. */
    windowSeconds: z.number().int().min(1).max(900).default(10),
  })
  .default({ windowSeconds: 10 });

function graphOf(ctx: Context, input: z.infer<typeof graphInput>) {
  return buildGraph(ctx.telemetry.windows, listServices(ctx), input.windowSeconds, input.namespace);
}

export const graphRouter = router({
  /** The service graph: services (with versions, policies, proxies) and the traffic between them. */
  get: procedure.input(graphInput).query(({ ctx, input }) => graphOf(ctx, input)),

  /** The same graph, pushed about once a second. */
  live: procedure.input(graphInput).subscription(async function* ({ ctx, input, signal }) {
    while (!signal?.aborted) {
      yield graphOf(ctx, input);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }),
});
