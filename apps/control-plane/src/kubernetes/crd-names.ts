import type { ResourceKind } from '@trellis/shared';

/** The API group and version of Trellis custom resources. */
export const CRD_GROUP = 'trellis.dev';
export const CRD_VERSION = 'v1alpha1';

/** A kind's CRD plural, as agreed with the CRD generator: the kind in lower case plus "s" ("trafficsplits"). */
export function crdPlural(kind: ResourceKind): string {
  return `${kind.toLowerCase()}s`;
}
