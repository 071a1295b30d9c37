import { z } from 'zod';
import { isIdentityPattern } from '../identity.ts';
import { defineKind } from './define.ts';
import { dnsLabel, httpMethod, MAX_NAME_LENGTH, pathMatch, targetRef } from './common.ts';

const SERVICE_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)?$/;

/**
 * Who a rule lets in (or keeps out): "*" (anyone, callers outside the mesh too), "external" (callers
 * without a mesh identity: plain HTTP under PERMISSIVE mTLS), a service ("name" in the policy's
 * namespace, or "name.namespace", resolved to that service's identities), or a SPIFFE ID pattern with
 * "*" segments ("spiffe://trellis.local/ns/shop/*").
 */
export const authorizationSource = z.string().max(MAX_NAME_LENGTH, { error: `must be at most ${MAX_NAME_LENGTH} characters` }).refine((s) => s === '*' || s === 'external' || SERVICE_NAME.test(s) || isIdentityPattern(s), {
  error: 'must be "*", "external", "name", "name.namespace" or a SPIFFE ID pattern like "spiffe://trellis.local/ns/shop/*"',
});

/** A namespace-wide policy applies to every service in it (e.g. a default-deny). */
export const namespaceTarget = z.strictObject({ kind: z.literal('Namespace'), name: dnsLabel });

/**
 * Who may call the target service (or every service of a namespace), Istio's way: a request matching a
 * Deny rule is denied; when any Allow policy applies, a request must match one of their rules. An Allow
 * policy with no rules allows nothing by itself: put one on a namespace for a default-deny, then allow
 * callers service by service.
 */
export const authorizationPolicySpec = z
  .strictObject({
    targetRef: z.discriminatedUnion('kind', [targetRef, namespaceTarget], { error: 'kind must be "Service" or "Namespace"' }),
    action: z.enum(['Allow', 'Deny']),
    rules: z.array(
      z.strictObject({
        from: z.array(authorizationSource).min(1, { error: 'must name at least one caller ("*" for anyone)' }).max(64, { error: 'at most 64 sources per rule' }),
        paths: z.array(pathMatch).max(64, { error: 'at most 64 paths per rule' }).optional(),
        methods: z.array(httpMethod).max(16, { error: 'at most 16 methods per rule' }).optional(),
      }),
    ).max(64, { error: 'at most 64 rules per policy' }),
  })
  .superRefine((spec, ctx) => {
    if (spec.action === 'Deny' && spec.rules.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['rules'], message: 'needs at least one rule (a Deny policy without rules denies nothing)' });
    }
  });

export const authorizationPolicyResource = defineKind('AuthorizationPolicy', authorizationPolicySpec);
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySpec>;
