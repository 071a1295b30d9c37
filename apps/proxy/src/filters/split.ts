import type { CompiledSplit } from '@trellis/shared';
import type { EndpointSet } from '../balancer/endpoint-set.ts';
import type { Middleware } from '../http/types.ts';

export interface SplitBackend {
  name: string;
  weight: number;
  targets: EndpointSet;
}

/**
 * TrafficSplit: each request goes to one backend (a subset of the service's endpoints chosen by labels),
 * at random in proportion to the weights. Later filters send to req.targets only.
 */
export function createSplit(split: CompiledSplit | undefined, backends: readonly SplitBackend[]): Middleware | null {
  if (!split || backends.length === 0) return null;
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return null;
  const bounds: number[] = [];
  let cumulative = 0;
  for (const b of backends) bounds.push((cumulative += b.weight));
  return (next) => (req) => {
    const r = Math.random() * total;
    let i = 0;
    while (i < bounds.length - 1 && r >= (bounds[i] ?? total)) i++;
    const backend = backends[i];
    if (backend) {
      req.subset = backend.name;
      req.targets = backend.targets;
    }
    return next(req);
  };
}
