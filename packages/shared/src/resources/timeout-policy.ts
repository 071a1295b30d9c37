import { z } from 'zod';
import { defineKind } from './define.ts';
import { targetRef } from './common.ts';
import { duration } from '../duration.ts';

/** How long a whole request (all retries included) may take before the caller gets 504. */
export const timeoutPolicySpec = z.strictObject({
  targetRef,
  request: duration({ min: 1, max: 3_600_000 }),
  /** Longest silence on an open upstream response before it is cut. */
  idle: duration({ min: 1, max: 3_600_000 }).optional(),
});

export const timeoutPolicyResource = defineKind('TimeoutPolicy', timeoutPolicySpec);
export type TimeoutPolicySpec = z.infer<typeof timeoutPolicySpec>;
