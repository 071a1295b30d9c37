import { z } from 'zod';
import { defineKind } from './define.ts';
import { percentage, selector, targetRef } from './common.ts';

/** Copies a share of requests to a subset of the service; the copy's response is ignored. */
export const mirrorPolicySpec = z.strictObject({
  targetRef,
  selector,
  percentage: percentage.default(100),
});

export const mirrorPolicyResource = defineKind('MirrorPolicy', mirrorPolicySpec);
export type MirrorPolicySpec = z.infer<typeof mirrorPolicySpec>;
