import { z } from 'zod';
import { API_VERSION, metadata } from './common.ts';

/** The Kubernetes-shaped envelope around one kind's spec. */
export function defineKind<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION, { error: `must be "${API_VERSION}"` }),
    kind: z.literal(kind),
    metadata,
    spec,
    // Read-only, filled by the control plane (e.g. which proxies run it); ignored on apply.
    status: z.record(z.string(), z.unknown()).optional(),
  });
}
