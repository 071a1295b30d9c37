import type { CompiledCircuitBreaker } from '@trellis/shared';
import { proxyError } from '../http/response.ts';
import type { Middleware } from '../http/types.ts';
import { onResponseEnd } from '../upstream/call.ts';
import type { UpstreamService } from '../upstream/service.ts';

/**
 * Circuit breaker limits (Envoy's): requests to the service beyond maxRequests in flight, or beyond the
 * connection cap plus maxPendingRequests waiting for a connection, get a fast 503 instead of queueing.
 * Counted per attempt, so retries count too. Outlier ejection lives in upstream/outlier.ts.
 */
export function createCircuitBreaker(limits: CompiledCircuitBreaker | undefined, service: UpstreamService): Middleware | null {
  if (!limits) return null;
  const { maxRequests, maxConnections, maxPendingRequests } = limits;
  if (maxRequests === undefined && maxConnections === undefined) return null;
  const requestLimit = maxRequests ?? Infinity;
  // Requests beyond the connection cap wait for a connection: those are the "pending" ones.
  const queueLimit = maxConnections === undefined ? Infinity : maxConnections + (maxPendingRequests ?? Infinity);
  return (next) => async (req) => {
    const active = service.active;
    if (active >= requestLimit || active >= queueLimit) {
      service.circuitOpen = true;
      const which = active >= requestLimit ? `maxRequests ${maxRequests}` : `maxConnections ${maxConnections} + maxPendingRequests ${maxPendingRequests}`;
      return proxyError('circuit-open', `${active} requests in flight to ${service.key} (${which})`);
    }
    service.circuitOpen = false;
    service.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      service.active--;
    };
    try {
      const response = await next(req);
      onResponseEnd(response, release);
      return response;
    } catch (err) {
      release();
      throw err;
    }
  };
}
