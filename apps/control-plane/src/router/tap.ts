import { z } from 'zod';
import type { TapEvent } from '../telemetry/index.ts';
import { procedure, router } from './trpc.ts';

export const tapRouter = router({
  /** Live (sampled) requests one service ("name.namespace") receives, as they arrive: method, path, status, latency, source. */
  watch: procedure.meta({ permission: 'mesh:read' }).input(z.object({ service: z.string().min(1).max(253) })).subscription(async function* ({ ctx, input, signal }) {
    const queue: TapEvent[] = [];
    let wake: (() => void) | undefined;
    const wanted = input.service.includes('.') ? input.service : `${input.service}.default`;
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
