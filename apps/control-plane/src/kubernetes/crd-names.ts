import type { ResourceKind } from '@trellis/shared';

/** The API group and version of Trellis custom resources. */
export const CRD_GROUP = 'trellis.dev';
export const CRD_VERSION = 'v1alpha1';

/**
 * A kind's CRD plural, the path segment of its URLs: the kind in lower case, in the plural as Kubernetes
 * writes them ("trafficsplits", "retrypolicies"). The CRDs (crds.ts) and the sync use this one function.
 */
export function crdPlural(kind: ResourceKind): string {
  const singular = kind.toLowerCase();
  return singular.endsWith('y') ? `${singular.slice(0, -1)}ies` : `${singular}s`;
}
