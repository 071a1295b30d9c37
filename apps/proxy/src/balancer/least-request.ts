import type { EndpointState } from '../upstream/endpoint.ts';
import type { PickAlgorithm } from './types.ts';
import { randomAvailable } from './endpoint-set.ts';

/**
 * Power of two choices: two random endpoints, the one scoring lower wins. Nearly as good as a full scan
 * at spreading load and O(1); the randomness keeps many proxies from piling onto the same "best" one.
 */
export function powerOfTwo(score: (e: EndpointState, now: number) => number): PickAlgorithm {
  return (list, _req, now) => {
    const a = randomAvailable(list, now);
    if (!a || list.length === 1) return a;
    const b = randomAvailable(list, now);
    if (!b || b === a) return a;
    return score(b, now) < score(a, now) ? b : a;
  };
}

/** Least request: fewer requests in flight wins. */
export const leastRequest = (): PickAlgorithm => powerOfTwo((e) => e.active);
