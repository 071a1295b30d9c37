import type { CompiledTimeout } from '@trellis/shared';
import { proxyError } from '../http/reasons.ts';
import type { Middleware, ProxyResponse } from '../http/types.ts';
import { discardBody } from '../upstream/call.ts';

/**
 * Route timeout: the response head must arrive within requestMs, all retries included, or the caller
 * gets 504 and whatever is still in flight is cancelled. idleMs bounds silence inside the response body.
 */
export function createTimeout(timeout: CompiledTimeout | undefined): Middleware | null {
  if (!timeout) return null;
  const { requestMs, idleMs } = timeout;
  return (next) => (req) => {
    if (idleMs !== undefined) req.idleTimeoutMs = idleMs;
    return new Promise<ProxyResponse>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        req.cancellation.cancel('timeout');
        resolve(proxyError('timeout', `no response within ${requestMs} ms`));
      }, requestMs);
      next(req).then(
        (response) => {
          if (settled) return discardBody(response);
          settled = true;
          clearTimeout(timer);
          resolve(response);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!settled) reject(err as Error);
        },
      );
    });
  };
}
