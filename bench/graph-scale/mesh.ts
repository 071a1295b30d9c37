// The graph-scale benches' synthetic mesh: services in ten tiers and the traffic each edge reports a second,
// drawn from a fixed seed so every run (and the live-graph test) sees the same mesh.
import { latencyBucket, type EdgeDelta } from '@trellis/shared';

/** A deterministic pseudo-random generator, so every run draws the same mesh. */
export function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MeshEdge {
  source: string;
  destination: string;
  rps: number;
  errorRate: number;
  latencyMs: number;
}

/** Ten tiers of services; edges go from `external` into tier 0 and from each tier to the next one or two. */
export function syntheticMesh(services: number, edges: number, namespaceOf: (i: number) => string) {
  const names = Array.from({ length: services }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  const id = (i: number) => `${names[i]}.${namespaceOf(i)}`;
  const tiers = 10;
  const perTier = Math.ceil(services / tiers);
  const tierOf = (i: number) => Math.floor(i / perTier);
  const random = prng(42);
  const set = new Map<string, MeshEdge>();
  const add = (source: string, destination: string) => {
    const id = `${source}->${destination}`;
    if (set.has(id) || set.size >= edges) return;
    set.set(id, { source, destination, rps: 1 + Math.floor(random() * 40), errorRate: random() < 0.08 ? random() * 0.1 : random() * 0.004, latencyMs: 2 + random() * 120 });
  };
  for (let i = 0; i < perTier && i < services; i++) add('external', id(i));
  while (set.size < edges) {
    const a = Math.floor(random() * services);
    const t = tierOf(a);
    if (t >= tiers - 1) continue;
    const hop = random() < 0.8 ? 1 : 2;
    const lo = Math.min(services - 1, (t + hop) * perTier);
    const hi = Math.min(services, lo + perTier);
    if (lo >= hi) continue;
    const b = lo + Math.floor(random() * (hi - lo));
    add(id(a), id(b));
  }
  return { names, edges: [...set.values()] };
}

/** One second of traffic on one edge, as a sidecar reports it (counts, latency histogram, retries). */
export function edgeSecond(e: MeshEdge, random: () => number): EdgeDelta {
  const requests = Math.max(0, Math.round(e.rps * (0.8 + random() * 0.4)));
  const errors = Math.round(requests * e.errorRate * (0.5 + random()));
  const latency: Record<string, number> = {};
  for (let i = 0; i < Math.min(requests, 20); i++) {
    const bucket = String(latencyBucket(e.latencyMs * (0.5 + random() * (random() < 0.05 ? 6 : 1))));
    latency[bucket] = (latency[bucket] ?? 0) + Math.max(1, Math.round(requests / 20));
  }
  return {
    source: e.source,
    destination: e.destination,
    route: 'default',
    version: 'v1',
    // Traffic from outside the mesh is counted by the destination's proxy, the rest by the caller's.
    side: e.source === 'external' ? 'inbound' : 'outbound',
    codes: { '2xx': requests - errors, '3xx': 0, '4xx': 0, '5xx': errors },
    latency,
    retries: Math.round(errors * 0.5),
    rateLimited: 0,
    ejections: 0,
  };
}
