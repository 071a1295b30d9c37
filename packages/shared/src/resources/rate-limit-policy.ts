import { z } from 'zod';
import { defineKind } from './define.ts';
import { fieldName, targetRef } from './common.ts';

/**
 * A token bucket enforced by the target service's own proxies (inbound). Local mode keeps one bucket per
 * proxy; global mode shares one bucket among every proxy of the service through Redis.
 */
export const rateLimitPolicySpec = z
  .strictObject({
    targetRef,
    requestsPerSecond: z
      .number({ error: 'must be a number' })
      .positive({ error: 'must be greater than 0' })
      .max(1_000_000, { error: 'must be at most 1000000' }),
    burst: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(1_000_000).optional(),
    /** One bucket for all callers, one per calling service, or one per value of a header. */
    key: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('None') }),
        z.strictObject({ type: z.literal('SourceService') }),
        z.strictObject({ type: z.literal('Header'), header: fieldName }),
      ])
      .default({ type: 'None' }),
    mode: z.enum(['Local', 'Global']).default('Local'),
    /** Global mode when Redis cannot be reached: let traffic through (Open) or refuse it (Closed). */
    failureMode: z.enum(['Open', 'Closed']).default('Open'),
  });

export const rateLimitPolicyResource = defineKind('RateLimitPolicy', rateLimitPolicySpec);
export type RateLimitPolicySpec = z.infer<typeof rateLimitPolicySpec>;
