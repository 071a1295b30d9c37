import type { CompiledSplit } from '@trellis/shared';
import type { Handler, RouteChoice } from '../http/types.ts';

/** One backend of a TrafficSplit: its share, the route it puts on requests (with its name as subset), and its own chain to its endpoints. */
export interface SplitBackend {
  weight: number;
  route: RouteChoice;
  handle: Handler;
}

/**
 * TrafficSplit: each request goes to one backend (a subset of the service's endpoints chosen by labels,
 * or another service), at random in proportion to the weights. Each backend has its own chain to its
 * endpoints (chain.ts), so nothing downstream needs to be told where to send; null when no split applies.
 */
export function createSplit(split: CompiledSplit | undefined, backends: readonly SplitBackend[]): Handler | null {
  if (!split || backends.length === 0) return null;
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return null;
  const bounds: number[] = [];
  let cumulative = 0;
  for (const b of backends) bounds.push((cumulative += b.weight));
  const last = backends[backends.length - 1] as SplitBackend;
  return (req) => {
    const r = Math.random() * total;
    let i = 0;
    while (i < bounds.length - 1 && r >= (bounds[i] ?? total)) i++;
    const backend = backends[i] ?? last;
    req.route = backend.route;
    return backend.handle(req);
  };
}
