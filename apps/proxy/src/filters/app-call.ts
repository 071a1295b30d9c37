import { proxyError } from '../http/reasons.ts';
import type { Handler } from '../http/types.ts';
import { sendToEndpoint } from '../upstream/call.ts';
import type { EndpointState } from '../upstream/endpoint.ts';

/** The terminal of the inbound chain: the request goes to the local app over a keep-alive pool. */
export function createAppCall(app: EndpointState | undefined): Handler {
  if (!app) return () => Promise.resolve(proxyError('no-local-app', 'this proxy was started without --app-port'));
  const timeouts = { headersTimeoutMs: undefined, bodyTimeoutMs: undefined };
  return async (req) => {
    req.upstream = app.key;
    const response = await sendToEndpoint(app, req, req.headers, req.cancellation, timeouts);
    req.attempts = 1;
    if (response.failure !== undefined || response.status >= 500) req.failedAttempts = 1;
    return response;
  };
}
