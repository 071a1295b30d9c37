import { z } from 'zod';
import { defineKind } from './define.ts';
import { httpMethod, pathMatch, targetRef } from './common.ts';

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
        from: z.array(z.string().regex(/^(\*|[a-z0-9-]+(\.[a-z0-9-]+)?)$/, { error: 'must be "name", "name.namespace" or "*"' })).min(1),
        paths: z.array(pathMatch).optional(),
        methods: z.array(httpMethod).optional(),
      }),
    )
    .min(1, { error: 'needs at least one rule' }),
});

export const authorizationPolicyResource = defineKind('AuthorizationPolicy', authorizationPolicySpec);
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySpec>;
