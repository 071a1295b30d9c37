import { z } from 'zod';
import { defineKind } from './define.ts';
import { fieldName, targetRef } from './common.ts';

export const LB_ALGORITHMS = ['RoundRobin', 'LeastRequest', 'EWMA', 'ConsistentHash'] as const;

export const loadBalancerPolicySpec = z
  .strictObject({
    targetRef,
    algorithm: z.enum(LB_ALGORITHMS),
    /** ConsistentHash only: what request property picks the endpoint. */
    hashOn: z
      .union([z.strictObject({ header: fieldName }), z.strictObject({ cookie: fieldName })], {
        error: 'must name a header or a cookie to hash on, not both: {header: x-user-id} or {cookie: session}',
      })
      .optional(),
    /** Prefer endpoints in the caller's zone; fail over to other zones when it has no healthy one. */
    localityAware: z.boolean().default(false),
  })
  .superRefine((spec, ctx) => {
    if (spec.algorithm === 'ConsistentHash' && !spec.hashOn) {
      ctx.addIssue({ code: 'custom', path: ['hashOn'], message: 'is required with algorithm ConsistentHash (a header or a cookie)' });
    }
    if (spec.algorithm !== 'ConsistentHash' && spec.hashOn) {
      ctx.addIssue({ code: 'custom', path: ['hashOn'], message: 'applies to algorithm ConsistentHash only' });
    }
  });

export const loadBalancerPolicyResource = defineKind('LoadBalancerPolicy', loadBalancerPolicySpec);
export type LoadBalancerPolicySpec = z.infer<typeof loadBalancerPolicySpec>;
