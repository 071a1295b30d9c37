import type { CompiledTimeout } from '@trellis/shared';
import { formatGrpcTimeout, grpcTimeoutMs } from '../http/grpc.ts';
import { proxyError } from '../http/response.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { Handler, Middleware, ProxyRequest } from '../http/types.ts';
import { discardBody } from '../upstream/call.ts';

/**
 * Route timeout: the response head must arrive within requestMs, all retries included, or the caller
 * gets 504 and whatever is still in flight is cancelled. (idleMs, silence inside the response body, is
 * each attempt's own limit: chain.ts gives it to the endpoint call.)
 * A gRPC call's own deadline (grpc-timeout) is honoured the same way, bounded by the route's requestMs,
 * and the deadline that applies travels on upstream in grpc-timeout, so the server knows it too.
 */
export function createTimeout(timeout: CompiledTimeout | undefined): Middleware {
  const requestMs = timeout?.requestMs;
  return (next) => (req) => {
    const grpcMs = grpcTimeoutMs(req.header('grpc-timeout'));
    if (grpcMs === undefined) return requestMs === undefined ? next(req) : withDeadline(next, req, requestMs);
    const ms = requestMs === undefined ? grpcMs : Math.min(requestMs, grpcMs);
    req.headers['grpc-timeout'] = formatGrpcTimeout(ms);
    return withDeadline(next, req, ms);
  };
}

function withDeadline(next: Handler, req: ProxyRequest, ms: number): Promise<ProxyResponse> {
  return new Promise<ProxyResponse>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      req.cancellation.cancel('timeout');
      resolve(proxyError('timeout', `no response within ${ms} ms`));
    }, ms);
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
}
