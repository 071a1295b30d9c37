// The status Trellis writes on each custom resource (agreed with the CRD generator, shown by
// `kubectl get` columns): conditions[] with type Accepted, and proxies = how many proxies run it.

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface CustomResourceStatus {
  conditions: Condition[];
  proxies: number;
}

/**
 * The Accepted condition for a generation, keeping the old lastTransitionTime while the status value
 * stays the same (as Kubernetes conventions ask).
 */
export function acceptedCondition(
  accepted: boolean,
  reason: string,
  message: string,
  generation: number | undefined,
  previous: Condition[] | undefined,
): Condition {
  const status = accepted ? 'True' : 'False';
  const old = previous?.find((c) => c.type === 'Accepted');
  return {
    type: 'Accepted',
    status,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old?.status === status ? old.lastTransitionTime : new Date().toISOString(),
  };
}

/** True when two statuses say the same (lastTransitionTime aside): no need to write. */
export function sameStatus(a: unknown, b: CustomResourceStatus): boolean {
  const strip = (s: unknown) =>
    JSON.stringify({
      proxies: (s as { proxies?: unknown } | undefined)?.proxies,
      conditions: ((s as { conditions?: Condition[] } | undefined)?.conditions ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest),
    });
  return strip(a) === strip(b);
}
