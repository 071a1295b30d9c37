import { z } from 'zod';
import { defineKind } from './define.ts';
import { targetRef } from './common.ts';
import { duration, parseDuration } from '../duration.ts';

/**
 * When to retry: HTTP conditions, and gRPC status codes (a gRPC answer is HTTP 200 whatever its outcome;
 * its grpc-status says what happened): unavailable (14), resource-exhausted (8), cancelled (1),
 * deadline-exceeded (4), internal (13), as Envoy names them.
 */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'reset',
  'retriable-429',
  'unavailable',
  'resource-exhausted',
  'cancelled',
  'deadline-exceeded',
  'internal',
] as const;
export const MAX_ATTEMPTS = 10;

export const retryPolicySpec = z
  .strictObject({
    targetRef,
    /** Total tries including the first one. */
    attempts: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_ATTEMPTS, { error: `must be at most ${MAX_ATTEMPTS}` }),
    retryOn: z
      .array(z.enum(RETRY_ON))
      .min(1, { error: 'name at least one condition' })
      .max(RETRY_ON.length, { error: `at most ${RETRY_ON.length} conditions` }).default(['5xx', 'connect-failure', 'reset']),
    perTryTimeout: duration({ min: 1, max: 300_000 }).optional(),
    backoff: z
      .strictObject({
        baseInterval: duration({ min: 1, max: 60_000 }).default('25ms'),
        maxInterval: duration({ min: 1, max: 300_000 }).default('250ms'),
      })
      .default({ baseInterval: '25ms', maxInterval: '250ms' }),
    /** Retries allowed as a share of live requests, plus a floor per second, so an outage cannot become a retry storm. */
    budget: z
      .strictObject({
        ratio: z.number().min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }).default(0.2),
        minRetriesPerSecond: z.number().int().min(0).max(100_000).default(10),
      })
      .default({ ratio: 0.2, minRetriesPerSecond: 10 }),
  })
  .superRefine((spec, ctx) => {
    const base = parseDuration(spec.backoff.baseInterval);
    const max = parseDuration(spec.backoff.maxInterval);
    if (base !== undefined && max !== undefined && max < base) {
      ctx.addIssue({ code: 'custom', path: ['backoff', 'maxInterval'], message: 'must not be shorter than backoff.baseInterval' });
    }
  });

export const retryPolicyResource = defineKind('RetryPolicy', retryPolicySpec);
export type RetryPolicySpec = z.infer<typeof retryPolicySpec>;
