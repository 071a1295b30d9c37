import type { CompiledLoadBalancer } from '@trellis/shared';
import type { EndpointState } from '../upstream/endpoint.ts';
import type { ProxyRequest } from '../http/types.ts';
import type { PickAlgorithm } from './types.ts';
import { randomAvailable } from './endpoint-set.ts';

/** 32-bit FNV-1a of a string, used to place endpoints and keys for consistent hashing. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Each endpoint list's hashes of its endpoints' keys, computed once: lists are rebuilt with each snapshot. */
const listHashes = new WeakMap<readonly EndpointState[], Uint32Array>();

function hashesOf(list: readonly EndpointState[]): Uint32Array {
  let hashes = listHashes.get(list);
  if (hashes === undefined) {
    hashes = Uint32Array.from(list, (e) => fnv1a(e.key));
    listHashes.set(list, hashes);
  }
  return hashes;
}

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
    const hashes = hashesOf(list);
    let best: EndpointState | undefined;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (e === undefined || !e.isAvailable(now)) continue;
      const score = mix(keyHash ^ (hashes[i] ?? 0));
      if (score > bestScore) {
        bestScore = score;
        best = e;
      }
    }
    return best;
  };
}
