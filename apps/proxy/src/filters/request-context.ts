import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { addForwardedHeaders } from '../http/hop-by-hop.ts';
import { formatTraceparent, newSpanId, newTraceId, readTraceContext, sampleTrace } from '../http/trace-context.ts';
import type { Middleware, ProxyRequest } from '../http/types.ts';

/** Names the calling service to the destination's proxy ("name.namespace"); see docs/PROXY.md on trust. */
export const SOURCE_HEADER = 'x-trellis-source';
const SOURCE_SHAPE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
 * First filter of both chains: who is calling, request id, trace context, x-forwarded-*. Outbound, the
 * source header is always overwritten, so an app cannot speak for another service through its proxy.
 */
export function createRequestContext(config: RequestContextConfig): Middleware {
  const inbound = config.side === 'inbound';
  return (next) => (req) => {
    const headers = req.headers;
    if (inbound) {
      const claimed = req.header(SOURCE_HEADER);
      if (claimed !== undefined && SOURCE_SHAPE.test(claimed)) req.source = claimed;
      else if (claimed !== undefined) delete headers[SOURCE_HEADER];
      req.destination = config.self;
    } else {
      req.source = config.self;
      headers[SOURCE_HEADER] = config.self;
    }
    if (headers['x-request-id'] === undefined) headers['x-request-id'] = randomUUID();
    setTrace(req, config.sampling, inbound);
    addForwardedHeaders(headers, clientAddress(req.incoming.socket));
    return next(req);
  };
}
