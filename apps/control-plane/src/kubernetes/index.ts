// What `trellis install`, `inject` and `check --kubernetes` take from the control plane without loading
// its database code: the CRDs, the injection function and the names the manifests share.
export * from './crds.ts';
export * from './injection.ts';
export type { OpenApiSchema } from './structural-schema.ts';
export * from './install-ca.ts';
export * from './workloads.ts';
export * from './admission-webhook.ts';
