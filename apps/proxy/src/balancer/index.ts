import type { CompiledLoadBalancer } from '@trellis/shared';
import type { ProxyRequest } from '../http/types.ts';
import type { EndpointState } from '../upstream/endpoint.ts';
import { consistentHash } from './consistent-hash.ts';
import { anyAvailable, type EndpointSet } from './endpoint-set.ts';
import { ewma } from './ewma.ts';
import { leastRequest } from './least-request.ts';
import { roundRobin } from './round-robin.ts';
import type { PickAlgorithm } from './types.ts';

export { EndpointSet } from './endpoint-set.ts';

/** Picks an endpoint of a set for a request; one per (service, subset), rebuilt with each snapshot. */
export type Balancer = (set: EndpointSet, req: ProxyRequest, now: number) => EndpointState | undefined;

function algorithm(config: CompiledLoadBalancer): PickAlgorithm {
  switch (config.algorithm) {
    case 'RoundRobin':
      return roundRobin();
    case 'LeastRequest':
      return leastRequest();
    case 'EWMA':
      return ewma();
    case 'ConsistentHash':
      return consistentHash(config.hashOn);
  }
}

/**
 * The balancer for a load-balancer config. Locality-aware ones pick among the proxy's own zone while it
 * has an available endpoint, and fail over to every zone when it has none.
 */
export function createBalancer(config: CompiledLoadBalancer): Balancer {
  const pick = algorithm(config);
  if (!config.localityAware) return (set, req, now) => pick(set.all, req, now);
  return (set, req, now) => pick(set.local.length > 0 && anyAvailable(set.local, now) ? set.local : set.all, req, now);
}
