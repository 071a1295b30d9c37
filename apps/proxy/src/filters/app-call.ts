import { isGrpc } from '../http/grpc.ts';
import { proxyError } from '../http/response.ts';
import type { Handler } from '../http/types.ts';
import { sendToEndpoint } from '../upstream/call.ts';
import type { EndpointState } from '../upstream/endpoint.ts';

/** The protocol the local app speaks (`--app-protocol`): gRPC needs HTTP/2, so gRPC calls use h2c whatever it says. */
export type AppProtocol = 'http1' | 'h2c' | 'grpc';

/** The terminal of the inbound chain: the request goes to the local app over a keep-alive pool or an h2c session. */
export function createAppCall(app: EndpointState | undefined, protocol: AppProtocol = 'http1'): Handler {
  if (!app) return () => Promise.resolve(proxyError('no-local-app', 'this proxy was started without --app-port'));
  const timeouts = { headersTimeoutMs: undefined, bodyTimeoutMs: undefined };
  return async (req) => {
    const outcome = req.outcome;
    outcome.upstream = app.key;
    const http2 = protocol !== 'http1' || isGrpc(req);
    const response = await sendToEndpoint(app, req, req.headers, req.cancellation, timeouts, http2);
    outcome.attempts = 1;
    if (response.failure !== undefined || response.status >= 500) outcome.failedAttempts = 1;
    return response;
  };
}
