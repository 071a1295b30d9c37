import type { CompiledLoadBalancer } from '@trellis/shared';
import { fnv1a, type EndpointState } from '../upstream/endpoint.ts';
import type { ProxyRequest } from '../http/types.ts';
import type { PickAlgorithm } from './types.ts';
import { randomAvailable } from './endpoint-set.ts';

/** murmur3's 32-bit finalizer: spreads the bits of a combined hash. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The value of cookie `name` in a Cookie header, without splitting the whole header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return undefined;
    const before = at === 0 ? ' ' : header[at - 1];
    if ((before === ' ' || before === ';') && header[at + name.length] === '=') {
      const end = header.indexOf(';', at);
      return header.slice(at + name.length + 1, end === -1 ? undefined : end).trim();
    }
    from = at + name.length;
  }
  return undefined;
}

/**
 * Rendezvous (highest random weight) hashing on a header or cookie: the same key goes to the same
 * endpoint while it is available, and when an endpoint leaves only its keys move. Requests without the
 * key are spread at random.
 */
export function consistentHash(hashOn: CompiledLoadBalancer['hashOn']): PickAlgorithm {
  const header = hashOn && 'header' in hashOn ? hashOn.header.toLowerCase() : undefined;
  const cookie = hashOn && 'cookie' in hashOn ? hashOn.cookie : undefined;
  const keyOf = (req: ProxyRequest): string | undefined =>
    header !== undefined ? req.header(header) : cookie !== undefined ? cookieValue(req.header('cookie'), cookie) : undefined;
  return (list, req, now) => {
    const key = keyOf(req);
    if (key === undefined) return randomAvailable(list, now);
    const keyHash = fnv1a(key);
    let best: EndpointState | undefined;
    let bestScore = -1;
    for (const e of list) {
      if (!e.isAvailable(now)) continue;
      const score = mix(keyHash ^ e.hash);
      if (score > bestScore) {
        bestScore = score;
        best = e;
      }
    }
    return best;
  };
}
