import type { EndpointState } from '../upstream/endpoint.ts';
import type { PickAlgorithm } from './types.ts';
import { powerOfTwo } from './least-request.ts';

/** EWMA decay: a latency change is mostly forgotten after ~10 s without samples. */
const EWMA_DECAY_MS = 10_000;

/** Folds one answered attempt's latency into the endpoint's peak EWMA: a slower sample counts at once, faster ones decay in. */
export function recordLatency(endpoint: EndpointState, latencyMs: number, now: number): void {
  if (endpoint.ewmaMs === 0 || latencyMs > endpoint.ewmaMs) endpoint.ewmaMs = latencyMs;
  else {
    const w = Math.exp(-(now - endpoint.ewmaAt) / EWMA_DECAY_MS);
    endpoint.ewmaMs = endpoint.ewmaMs * w + latencyMs * (1 - w);
  }
  endpoint.ewmaAt = now;
}

// Finagle's and linkerd's peak-EWMA: expected latency times queue depth. An endpoint never measured
// scores by its queue alone, so new endpoints get probed.
const cost = (e: EndpointState): number => (e.ewmaMs + 1) * (e.active + 1);

/** Lowest expected latency (peak EWMA × requests in flight) of two random endpoints. */
export const ewma = (): PickAlgorithm => powerOfTwo(cost);
