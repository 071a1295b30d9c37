import type { EndpointState } from '../upstream/endpoint.ts';

/**
 * The endpoints one request may go to (a service, or one subset of it), split by zone once per snapshot
 * so locality-aware picking allocates nothing per request.
 */
export class EndpointSet {
  /** Endpoints in the proxy's own zone (empty when the proxy has no zone). */
  readonly local: readonly EndpointState[];

  constructor(
    readonly all: readonly EndpointState[],
    zone: string | undefined,
  ) {
    this.local = zone === undefined ? [] : all.filter((e) => e.zone === zone);
  }

  /** Endpoints whose labels include every label of `selector`. */
  static select(all: readonly EndpointState[], selector: Record<string, string>, zone: string | undefined): EndpointSet {
    const entries = Object.entries(selector);
    return new EndpointSet(
      all.filter((e) => entries.every(([k, v]) => e.labels[k] === v)),
      zone,
    );
  }
}

/** True when at least one endpoint of the list is not ejected. */
export function anyAvailable(list: readonly EndpointState[], now: number): boolean {
  for (const e of list) if (e.isAvailable(now)) return true;
  return false;
}

/** A uniformly random available endpoint, or undefined when all are ejected. */
export function randomAvailable(list: readonly EndpointState[], now: number): EndpointState | undefined {
  const n = list.length;
  if (n === 0) return undefined;
  const start = (Math.random() * n) | 0;
  for (let i = 0; i < n; i++) {
    const e = list[(start + i) % n];
    if (e?.isAvailable(now)) return e;
  }
  return undefined;
}
