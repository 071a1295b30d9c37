import type { CompiledFault } from '@trellis/shared';
import { sleep } from '../http/cancellation.ts';
import { proxyError } from '../http/response.ts';
import type { Middleware } from '../http/types.ts';

/** Fault injection: a delay for one share of requests, an abort with a chosen status for another. */
export function createFault(fault: CompiledFault | undefined): Middleware | null {
  if (!fault || (!fault.delay?.percentage && !fault.abort?.percentage)) return null;
  const delay = fault.delay;
  const abort = fault.abort;
  return (next) => async (req) => {
    if (delay && Math.random() * 100 < delay.percentage) {
      // Cut short when the client leaves or the request times out; whoever cancelled answers.
      await sleep(delay.ms, req.cancellation);
    }
    if (abort && Math.random() * 100 < abort.percentage) {
      return proxyError('fault-injected', `abort ${abort.status} injected by fault policy`, { status: abort.status });
    }
    return next(req);
  };
}
