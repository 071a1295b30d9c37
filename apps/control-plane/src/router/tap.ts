import { z } from 'zod';
import type { TapEvent } from '../telemetry/index.ts';
import { existingServices } from '../catalog.ts';
import { TRPCError } from '@trpc/server';
import { procedure, router } from './trpc.ts';

export const tapRouter = router({
  /** Live (sampled) requests one service ("name.namespace") receives, as they arrive: method, path, status, latency, source. */
  watch: procedure.meta({ permission: 'mesh:read' }).input(z.object({ service: z.string().min(1).max(253) })).subscription(async function* ({ ctx, input, signal }) {
    const queue: TapEvent[] = [];
    let wake: (() => void) | undefined;
    const wanted = input.service.includes('.') ? input.service : `${input.service}.default`;
    // A service that does not exist would be waited on forever, for requests that never come.
    const existing = existingServices(ctx);
    if (!existing.has(wanted)) {
      const known = [...existing].sort();
      const namespace = wanted.slice(wanted.indexOf('.') + 1);
      const there = known.filter((k) => k.endsWith(`.${namespace}`));
      // A TRPCError, since the error mapping of procedures (trpc.ts) does not see into a subscription's generator.
      throw new TRPCError({ code: 'NOT_FOUND', message: `no service ${wanted} is known to the control plane${there.length ? `; known in ${namespace}: ${there.map((k) => k.slice(0, -namespace.length - 1)).join(', ')}` : ''}` });
    }
    const onTap = (e: TapEvent) => {
      if (e.service !== wanted) return;
      if (queue.length < 1000) queue.push(e);
      wake?.();
    };
    ctx.telemetry.on('tap', onTap);
    ctx.metrics.subscriptions.inc({ procedure: 'tap.watch' });
    try {
      while (!signal?.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = undefined;
      }
    } finally {
      ctx.metrics.subscriptions.dec({ procedure: 'tap.watch' });
      ctx.telemetry.off('tap', onTap);
    }
  }),
});
