import type { EndpointState } from '../upstream/endpoint.ts';
import type { PickAlgorithm } from './types.ts';
import { powerOfTwo } from './least-request.ts';

// Finagle's and linkerd's peak-EWMA: expected latency times queue depth. An endpoint never measured
// scores by its queue alone, so new endpoints get probed.
const cost = (e: EndpointState): number => (e.ewmaMs + 1) * (e.active + 1);

/** Lowest expected latency (peak EWMA × requests in flight) of two random endpoints. */
export const ewma = (): PickAlgorithm => powerOfTwo(cost);
