import { z } from 'zod';
import { defineKind } from './define.ts';
import { percentage, targetRef } from './common.ts';
import { duration } from '../duration.ts';

/** Injected delays and aborts for a share of the requests to a service, applied by the callers' proxies. */
export const faultPolicySpec = z
  .strictObject({
    targetRef,
    delay: z.strictObject({ percentage, duration: duration({ min: 1, max: 60_000 }) }).optional(),
    abort: z
      .strictObject({
        percentage,
        httpStatus: z.number().int().min(400, { error: 'must be from 400 to 599' }).max(599, { error: 'must be from 400 to 599' }),
      })
      .optional(),
  })
  .refine((s) => s.delay !== undefined || s.abort !== undefined, { error: 'set delay, abort, or both', path: ['delay'] });

export const faultPolicyResource = defineKind('FaultPolicy', faultPolicySpec);
export type FaultPolicySpec = z.infer<typeof faultPolicySpec>;
