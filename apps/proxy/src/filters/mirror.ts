import type { CompiledMirror } from '@trellis/shared';
import type { Balancer, EndpointSet } from '../balancer/index.ts';
import { makeReplayable } from '../http/body.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';
import { discardBody, onResponseEnd, sendToEndpoint } from '../upstream/call.ts';
import { Cancellation } from '../http/cancellation.ts';

/** Copies in flight per process; beyond this, copies are skipped rather than queued. */
const MAX_MIRRORS_IN_FLIGHT = 64;
/** A copy that takes longer than this is cancelled. */
const MIRROR_TIMEOUT_MS = 5_000;
let inFlight = 0;

function sendCopy(req: ProxyRequest, targets: EndpointSet, balancer: Balancer): void {
  const endpoint = balancer(targets, req, performance.now());
  if (!endpoint) return;
  inFlight++;
  const headers = { ...req.headers, 'x-trellis-mirror': '1' };
  // The copy has its own cancellation: the real request ending must not cut it, nor it the real one.
  const cancellation = new Cancellation();
  const timer = setTimeout(() => cancellation.cancel(), MIRROR_TIMEOUT_MS);
  const timeouts = { headersTimeoutMs: MIRROR_TIMEOUT_MS, bodyTimeoutMs: MIRROR_TIMEOUT_MS };
  // As the real request goes (a node agent's copy cancelled at its timeout then resets a stream).
  void sendToEndpoint(endpoint, req, headers, cancellation, timeouts, endpoint.meshHttp2).then((response) => {
    onResponseEnd(response, () => {
      clearTimeout(timer);
      inFlight--;
    });
    discardBody(response);
  });
}

/**
 * Mirroring: a share of requests is also sent to a subset, fire and forget. The copy's response is
 * thrown away and the real request never waits for it. Only requests whose body is replayable are
 * copied; the copy carries `x-trellis-mirror: 1`.
 */
export function createMirror(mirror: CompiledMirror | undefined, targets: EndpointSet, balancer: Balancer): Middleware | null {
  if (!mirror || mirror.percentage <= 0) return null;
  return (next) => async (req) => {
    if (inFlight < MAX_MIRRORS_IN_FLIGHT && Math.random() * 100 < mirror.percentage && targets.all.length > 0) {
      let replayable = false;
      try {
        replayable = await makeReplayable(req);
      } catch {
        // The client's body broke off; the real request will fail on its own.
      }
      if (replayable) sendCopy(req, targets, balancer);
    }
    return next(req);
  };
}
