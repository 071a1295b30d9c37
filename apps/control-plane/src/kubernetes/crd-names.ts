import type { ResourceKind } from '@trellis/shared';

/** The API group and version of Trellis custom resources. */
export const CRD_GROUP = 'trellis.dev';
export const CRD_VERSION = 'v1alpha1';

/** A kind's CRD plural, as the generated CRDs name it: lower case, "y" -> "ies", else + "s" ("retrypolicies", "trafficsplits"). */
export function crdPlural(kind: ResourceKind): string {
  const singular = kind.toLowerCase();
  return singular.endsWith('y') ? `${singular.slice(0, -1)}ies` : `${singular}s`;
}
