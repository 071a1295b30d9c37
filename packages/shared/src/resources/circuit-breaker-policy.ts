import { z } from 'zod';
import { defineKind } from './define.ts';
import { percentage, targetRef } from './common.ts';
import { duration, parseDuration } from '../duration.ts';

const limit = z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(1_000_000);

/** Caps on what one proxy sends a service (over them: fast 503) and outlier ejection of bad endpoints. */
export const circuitBreakerPolicySpec = z
  .strictObject({
    targetRef,
    limits: z
      .strictObject({
        maxConnections: limit.optional(),
        maxPendingRequests: limit.optional(),
        maxRequests: limit.optional(),
      })
      .refine((l) => l.maxConnections !== undefined || l.maxPendingRequests !== undefined || l.maxRequests !== undefined, {
        error: 'set at least one of maxConnections, maxPendingRequests, maxRequests',
      })
      .optional(),
    outlierDetection: z
      .strictObject({
        consecutiveErrors: z.number().int().min(1, { error: 'must be at least 1' }).max(1000).default(5),
        baseEjectionTime: duration({ min: 100, max: 3_600_000 }).default('30s'),
        maxEjectionTime: duration({ min: 100, max: 3_600_000 }).default('5m'),
        maxEjectionPercent: percentage.default(50),
      })
      .superRefine((o, ctx) => {
        const base = parseDuration(o.baseEjectionTime);
        const max = parseDuration(o.maxEjectionTime);
        if (base !== undefined && max !== undefined && max < base) {
          ctx.addIssue({ code: 'custom', path: ['maxEjectionTime'], message: 'must not be shorter than outlierDetection.baseEjectionTime' });
        }
      })
      .optional(),
  })
  .refine((s) => s.limits !== undefined || s.outlierDetection !== undefined, {
    error: 'set limits, outlierDetection, or both',
    path: ['limits'],
  });

export const circuitBreakerPolicyResource = defineKind('CircuitBreakerPolicy', circuitBreakerPolicySpec);
export type CircuitBreakerPolicySpec = z.infer<typeof circuitBreakerPolicySpec>;
