import type { CompiledScaleFromZero } from '@trellis/shared';
import type { Middleware } from '../http/types.ts';
import type { ColdStarts } from '../upstream/cold-start.ts';
import type { UpstreamService } from '../upstream/service.ts';

/**
 * First filter of a route to a service that scales to zero: with no endpoint, the request waits in
 * `coldStarts` (bounded) for one instead of failing at once; with endpoints it costs one length check.
 */
export function createScaleFromZero(config: CompiledScaleFromZero | undefined, upstream: UpstreamService, coldStarts: ColdStarts): Middleware | null {
  if (!config) return null;
  return (next) => (req) => (upstream.list.length > 0 || coldStarts.wasHeld(req) ? next(req) : coldStarts.hold(req, upstream, config));
}
