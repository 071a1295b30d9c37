import { z } from 'zod';
import { listServices } from '../catalog.ts';
import { buildGraph } from '../telemetry/graph.ts';
import type { Context } from './trpc.ts';
import { procedure, router } from './trpc.ts';

const graphInput = z
  .object({
    namespace: z.string().max(63).optional(),
    /** Rates and percentiles over this many past seconds. */
    windowSeconds: z.number().int().min(1).max(900).default(10),
    /** Include each edge's per-route figures (false makes a big graph about half the size). */
    routes: z.boolean().default(true),
  })
  .default({ windowSeconds: 10, routes: true });

function graphOf(ctx: Context, input: z.infer<typeof graphInput>) {
  return buildGraph(ctx.telemetry.windows, listServices(ctx), input.windowSeconds, input.namespace, { routes: input.routes });
}

export const graphRouter = router({
  /** The service graph: services (with versions, policies, proxies) and the traffic between them. */
  get: procedure.meta({ permission: 'mesh:read' }).input(graphInput).query(({ ctx, input }) => graphOf(ctx, input)),

  /** One edge with its per-route figures, for a panel that shows one edge of a big graph. */
  edge: procedure.meta({ permission: 'mesh:read' })
    .input(z.object({ source: z.string().max(253), destination: z.string().max(253), windowSeconds: z.number().int().min(1).max(900).default(10) }))
    .query(({ ctx, input }) => {
      const graph = buildGraph(ctx.telemetry.windows, [], input.windowSeconds, undefined, { only: input });
      return graph.edges[0] ?? null;
    }),

  /**
   * The same graph, live: the whole graph (quantised to the precision the dashboard shows) first, then
   * once a second only what changed, and the whole graph again every minute (see @trellis/shared live-graph.ts).
   */
  live: procedure.meta({ permission: 'mesh:read' }).input(graphInput).subscription(async function* ({ ctx, input, signal }) {
    ctx.metrics.subscriptions.inc({ procedure: 'graph.live' });
    try {
      const key = JSON.stringify([input.namespace ?? null, input.windowSeconds, input.routes]);
      yield* ctx.telemetry.liveGraph.watch(key, () => graphOf(ctx, input), signal);
    } finally {
      ctx.metrics.subscriptions.dec({ procedure: 'graph.live' });
    }
  }),
});
