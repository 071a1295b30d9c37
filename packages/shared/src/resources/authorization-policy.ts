import { z } from 'zod';
import { defineKind } from './define.ts';
import { httpMethod, pathMatch, serviceReference, targetRef } from './common.ts';

/**
 * Who may call the target service. With action Allow, requests matching no rule are denied; with Deny,
 * requests matching a rule are denied. Sources are service names ("name" or "name.namespace"; "*" for any).
 */
export const authorizationPolicySpec = z.strictObject({
  targetRef,
  action: z.enum(['Allow', 'Deny']),
  rules: z
    .array(
      z.strictObject({
        from: z.array(serviceReference).min(1).max(64, { error: 'at most 64 sources per rule' }),
        paths: z.array(pathMatch).max(64, { error: 'at most 64 paths per rule' }).optional(),
        methods: z.array(httpMethod).max(16, { error: 'at most 16 methods per rule' }).optional(),
      }),
    )
    .min(1, { error: 'needs at least one rule' })
    .max(64, { error: 'at most 64 rules per policy' }),
});

export const authorizationPolicyResource = defineKind('AuthorizationPolicy', authorizationPolicySpec);
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySpec>;
