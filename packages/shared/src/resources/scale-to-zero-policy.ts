import { z } from 'zod';
import { defineKind } from './define.ts';
import { dnsLabel, targetRef } from './common.ts';
import { duration } from '../duration.ts';

/** The workload kinds whose scale subresource the control plane changes in Kubernetes. */
export const SCALABLE_WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;

/**
 * Serverless (Knative-style): the control plane scales the target's workload to zero replicas after it
 * has served no request for `idleTimeout`; a caller's proxy holds requests to it while it has no endpoint
 * (at most `hold.maxRequests` of them, each at most `hold.timeout`), asks for a scale-up and sends them on
 * once the first endpoint is ready. In Kubernetes the workload's scale subresource is changed; elsewhere
 * the control plane runs its scale hook (`--scale-hook-url`, `--scale-command`).
 */
export const scaleToZeroPolicySpec = z.strictObject({
  targetRef: targetRef.refine((ref) => ref.route === undefined, { error: 'a whole service scales, not one route: leave route out' }),
  /** No request for this long and the workload goes to zero replicas. */
  idleTimeout: duration({ min: 1000, max: 7 * 86_400_000 }),
  /** What a caller's proxy does while the service has no endpoint. */
  hold: z
    .strictObject({
      /** How long one request waits for the first endpoint before it gets 503. */
      timeout: duration({ min: 100, max: 600_000 }).default('30s'),
      /** Requests one proxy holds at once for the service; more get 503 at once. */
      maxRequests: z.number().int().min(1, { error: 'must be at least 1' }).max(10_000, { error: 'must be at most 10000' }).default(100),
    })
    .default({ timeout: '30s', maxRequests: 100 }),
  /** Replicas a scale-up asks for. */
  replicas: z.number().int().min(1, { error: 'must be at least 1' }).max(1000, { error: 'must be at most 1000' }).default(1),
  /** The Kubernetes workload to scale; by default the Deployment named like the service. */
  workload: z
    .strictObject({
      kind: z.enum(SCALABLE_WORKLOAD_KINDS, { error: `must be one of ${SCALABLE_WORKLOAD_KINDS.join(', ')}` }).default('Deployment'),
      name: dnsLabel,
    })
    .optional(),
});

export const scaleToZeroPolicyResource = defineKind('ScaleToZeroPolicy', scaleToZeroPolicySpec);
export type ScaleToZeroPolicySpec = z.infer<typeof scaleToZeroPolicySpec>;
