import { z } from 'zod';
import { procedure, router } from './trpc.ts';

/** A service ("name.namespace") or route name. */
const name = z.string().max(253);

const scope = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('edge'), source: name, destination: name }),
  z.object({ scope: z.literal('route'), destination: name, route: name, source: name.optional() }),
  z.object({ scope: z.literal('service'), service: name }),
]);

export const metricsRouter = router({
  /**
   * Time series for one edge, one route of a service, or one service (what it receives), over the last
   * `windowSeconds` (1 s points up to 15 minutes, 1 min points up to 24 hours).
   */
  series: procedure.meta({ permission: 'mesh:read' })
    .input(z.intersection(scope, z.object({ windowSeconds: z.number().int().min(10).max(86_400).default(300), maxPoints: z.number().int().min(10).max(1000).default(300) })))
    .query(({ ctx, input }) => {
      const filter =
        input.scope === 'edge'
          ? (k: { source: string; destination: string }) => k.source === input.source && k.destination === input.destination
          : input.scope === 'route'
            ? (k: { source: string; destination: string; route: string }) =>
                k.destination === input.destination && k.route === input.route && (!input.source || k.source === input.source)
            : (k: { destination: string }) => k.destination === input.service;
      return ctx.telemetry.windows.points(input.windowSeconds * 1000, filter, input.maxPoints);
    }),
});
