import http from 'node:http';
import { request } from 'undici';
import { GrpcCalls, startGrpcApp } from './grpc.ts';
import type { Workload } from './shop.ts';

// Headers a real app forwards from the request it serves to the requests it makes, so the mesh can
// stitch one trace (what an OpenTelemetry-instrumented app does).
const PROPAGATE = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'x-request-id'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function delayFor(w: Workload): number {
  const { baseMs, jitterMs, tailShare, tailMs } = w.latency;
  const tail = Math.random() < tailShare ? tailMs * (0.5 + Math.random()) : 0;
  return baseMs + Math.random() * jitterMs + tail;
}

/**
 * Starts one demo app: waits its latency, calls its dependencies through its sidecar, answers JSON (or,
 * for a gRPC workload, a gRPC answer).
 */
export async function startApp(w: Workload, port: number, outboundPort: number): Promise<{ close(): void }> {
  if (w.protocol === 'grpc') return startGrpcApp(w, port, () => delayFor(w));
  const grpcCalls = new GrpcCalls(outboundPort);
  const server = http.createServer((req, res) => {
    void (async () => {
      const forwarded: Record<string, string> = {};
      for (const h of PROPAGATE) {
        const v = req.headers[h];
        if (typeof v === 'string') forwarded[h] = v;
      }
      await sleep(delayFor(w));
      if (Math.random() < w.failureRate) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `${w.service} is having a bad moment` }));
        return;
      }
      const parts = await Promise.all(
        w.calls.map(async (call) => {
          if (call.grpc) {
            const { code, body } = await grpcCalls.call(call.service, call.path, { productId: 1 }, forwarded);
            return { service: call.service, grpcStatus: code, body: body.slice(0, 200) };
          }
          try {
            const r = await request(`http://127.0.0.1:${outboundPort}${call.path}`, {
              headers: { ...forwarded, host: call.service },
              headersTimeout: 5000,
              bodyTimeout: 5000,
            });
            const body = await r.body.text();
            return { service: call.service, status: r.statusCode, body: body.slice(0, 200) };
          } catch (err) {
            return { service: call.service, status: 0, body: (err as Error).message };
          }
        }),
      );
      // The shop degrades gracefully: a failed dependency shows up in the page, not as an error.
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ service: w.service, version: w.version, path: req.url, calls: parts }));
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    // Stops at once: keep-alive connections from its sidecar are closed too (the demo function scales to zero).
    close: () => {
      grpcCalls.close();
      server.close();
      server.closeAllConnections();
    },
  };
}
