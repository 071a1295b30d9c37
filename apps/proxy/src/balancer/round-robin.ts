import type { EndpointState } from '../upstream/endpoint.ts';
import type { PickAlgorithm } from './types.ts';

/** Each endpoint in turn, skipping ejected ones. */
export function roundRobin(): PickAlgorithm {
  let next = 0;
  return (list, _req, now) => {
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const e: EndpointState | undefined = list[next++ % n];
      if (next >= 0x3fffffff) next = 0;
      if (e?.isAvailable(now)) return e;
    }
    return undefined;
  };
}
