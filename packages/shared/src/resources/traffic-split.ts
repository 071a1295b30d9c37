import { z } from 'zod';
import { defineKind } from './define.ts';
import { dnsLabel, selector, targetRef } from './common.ts';

/** Canary weights across subsets of one service's endpoints (chosen by labels such as version=v2). */
export const trafficSplitSpec = z
  .strictObject({
    targetRef,
    backends: z
      .array(
        z.strictObject({
          name: dnsLabel,
          selector,
          weight: z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must be from 0 to 100' }).max(100, { error: 'must be from 0 to 100' }),
        }),
      )
      .min(1, { error: 'needs at least one backend' })
      .max(16),
  })
  .superRefine((spec, ctx) => {
    const total = spec.backends.reduce((sum, b) => sum + b.weight, 0);
    if (total !== 100) {
      ctx.addIssue({ code: 'custom', path: ['backends'], message: `weights must add up to 100 (they add up to ${total})` });
    }
    const names = new Set<string>();
    spec.backends.forEach((b, i) => {
      if (names.has(b.name)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `backend "${b.name}" is listed twice` });
      names.add(b.name);
    });
  });

export const trafficSplitResource = defineKind('TrafficSplit', trafficSplitSpec);
export type TrafficSplitSpec = z.infer<typeof trafficSplitSpec>;
