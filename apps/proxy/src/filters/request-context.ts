import type { Socket } from 'node:net';
import { addForwardedHeaders } from '../http/hop-by-hop.ts';
import { peerIdentityOf, peerServiceOf } from '../http/inbound-tls.ts';
import { formatTraceparent, newRequestId, newSpanId, newTraceId, readTraceContext, sampleTrace } from '../http/trace-context.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';

/** Tells the app which service called it ("name.namespace"), from the caller's verified certificate. */
export const SOURCE_HEADER = 'x-trellis-source';
/** Tells the app the caller's SPIFFE ID (as Linkerd's l5d-client-id does). */
export const CLIENT_ID_HEADER = 'x-trellis-client-id';

const ADDRESS = Symbol('trellis.remoteAddress');

/** The peer address of a connection, looked up once per connection (Node re-derives it on every read). */
function clientAddress(socket: Socket & { [ADDRESS]?: string }): string | undefined {
  return (socket[ADDRESS] ??= socket.remoteAddress);
}

export interface RequestContextConfig {
  side: 'inbound' | 'outbound';
  /** This workload, "name.namespace". */
  self: string;
  /** snapshot.tracing.sampling: share of new traces to keep. */
  sampling: number;
}

function setTrace(req: ProxyRequest, sampling: number, inbound: boolean): void {
  const incoming = readTraceContext(req.headers);
  const traceId = incoming?.traceId ?? newTraceId();
  const sampled = incoming?.sampled ?? sampleTrace(traceId, sampling);
  const spanId = newSpanId();
  req.trace = { traceId, parentSpanId: incoming?.parentSpanId, spanId, sampled };
  // Inbound, the app's work is a child of this proxy's server span. Outbound, each attempt names its own
  // client span (filters/endpoint-call.ts), so the header is only a placeholder until then.
  req.headers.traceparent = formatTraceparent(traceId, inbound ? spanId : (incoming?.parentSpanId ?? spanId), sampled);
}

/**
 * First filter of both chains: who is calling, request id, trace context, x-forwarded-*. Inbound, the
 * caller is the identity its proxy's certificate proved (mutual TLS), never a header: x-trellis-* from
 * anyone else were dropped by the listener, and these two are always set here, for the app.
 */
export function createRequestContext(config: RequestContextConfig): Middleware {
  const inbound = config.side === 'inbound';
  return (next) => (req) => {
    const headers = req.headers;
    if (inbound) {
      const socket = req.incoming.socket;
      const identity = peerIdentityOf(socket);
      if (identity !== undefined) {
        req.identity = identity;
        req.source = peerServiceOf(socket) ?? 'external';
        headers[SOURCE_HEADER] = req.source;
        headers[CLIENT_ID_HEADER] = identity;
      } else {
        delete headers[SOURCE_HEADER];
        delete headers[CLIENT_ID_HEADER];
      }
    } else {
      req.source = config.self;
    }
    if (headers['x-request-id'] === undefined) headers['x-request-id'] = newRequestId();
    setTrace(req, config.sampling, inbound);
    addForwardedHeaders(headers, clientAddress(req.incoming.socket));
    return next(req);
  };
}
