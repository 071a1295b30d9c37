import * as grpc from '@grpc/grpc-js';
import type { Workload } from './shop.ts';

// The demo's gRPC service: ratings answers GetRating over gRPC (@grpc/grpc-js on both ends, through the
// sidecars like any other call), so the graph has a live gRPC edge. Messages are JSON bytes rather than
// protobuf: no .proto to compile, and the proxies never look inside a message anyway.

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};

export const RATINGS_SERVICE = {
  getRating: {
    path: '/trellis.demo.Ratings/GetRating',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

/** The gRPC methods a demo app can call, by path. */
const METHODS = new Map(Object.values(RATINGS_SERVICE).map((m) => [m.path, m]));

/**
 * Starts the ratings app as a gRPC server on 127.0.0.1:`port`: waits its latency, then answers a rating,
 * or UNAVAILABLE for its share of failures (which the edge panel then shows by status).
 */
export async function startGrpcApp(w: Workload, port: number, delayMs: () => number): Promise<{ close(): void }> {
  const server = new grpc.Server();
  server.addService(RATINGS_SERVICE, {
    getRating: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const productId = (call.request as { productId?: unknown } | null)?.productId ?? 0;
      setTimeout(() => {
        if (Math.random() < w.failureRate) callback({ code: grpc.status.UNAVAILABLE, details: `${w.service} is having a bad moment` });
        else callback(null, { productId, stars: 4.2, votes: 118, service: w.service, version: w.version });
      }, delayMs());
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return { close: () => server.forceShutdown() };
}

/** gRPC channels of one app to its sidecar's outbound listener, one per called service (named in :authority). */
export class GrpcCalls {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(private readonly outboundPort: number) {}

  /** One unary call; resolves with its grpc-status and the answer (or the error's text), never rejects. */
  call(service: string, path: string, request: unknown, headers: Record<string, string>): Promise<{ code: number; body: string }> {
    const method = METHODS.get(path);
    if (!method) return Promise.resolve({ code: grpc.status.UNIMPLEMENTED, body: `no demo gRPC method ${path}` });
    let client = this.clients.get(service);
    if (!client) {
      client = new grpc.Client(`127.0.0.1:${this.outboundPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': service });
      this.clients.set(service, client);
    }
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
    return new Promise((resolve) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + 5000 }, (err, reply) =>
        resolve(err ? { code: err.code, body: err.details } : { code: grpc.status.OK, body: JSON.stringify(reply) }),
      );
    });
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
