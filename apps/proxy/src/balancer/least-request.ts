import type { EndpointState } from '../upstream/endpoint.ts';
import type { PickAlgorithm } from './types.ts';
import { randomAvailable } from './endpoint-set.ts';

/**
 * Power of two choices: two distinct random endpoints, the one scoring lower wins. Nearly as good as a
 * full scan at spreading load and O(1); the randomness keeps many proxies from piling onto the same
 * "best" endpoint.
 */
export function powerOfTwo(score: (e: EndpointState) => number): PickAlgorithm {
  return (list, _req, now) => {
    const n = list.length;
    if (n < 2) return randomAvailable(list, now);
    const i = (Math.random() * n) | 0;
    const a = list[i];
    const b = list[(i + 1 + ((Math.random() * (n - 1)) | 0)) % n];
    const aOk = a?.isAvailable(now) ?? false;
    const bOk = b?.isAvailable(now) ?? false;
    if (aOk && bOk && a && b) return score(b) < score(a) ? b : a;
    if (aOk) return a;
    if (bOk) return b;
    return randomAvailable(list, now);
  };
}

/** Least request: fewer requests in flight wins. */
export const leastRequest = (): PickAlgorithm => powerOfTwo((e) => e.active);
