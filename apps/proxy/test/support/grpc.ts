import * as grpc from '@grpc/grpc-js';

// A tiny gRPC service for tests, with @grpc/grpc-js on both ends and messages as raw bytes (no .proto to
// compile): Say (unary) answers "<name> says <request>", Chat (bidi) echoes each message.

const bytes = {
  serialize: (b: Buffer) => b,
  deserialize: (b: Buffer) => b,
};

export const ECHO_SERVICE = {
  say: {
    path: '/trellis.test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
  chat: {
    path: '/trellis.test.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  },
} satisfies grpc.ServiceDefinition;

export interface EchoServerOptions {
  name: string;
  /** Time Say waits before answering. */
  delayMs?: number;
  /** Say fails with this status instead of answering. */
  failWith?: grpc.status;
}

export interface EchoServer {
  port: number;
  /** Calls of Say answered (or failed) so far. */
  calls: number;
  /** Calls whose caller went away (deadline, cancel) before the answer. */
  cancelled: number;
  options: EchoServerOptions;
  close(): Promise<void>;
}

/** Starts an Echo server on a free port of 127.0.0.1 (plain h2c). */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const server = new grpc.Server();
  const state: EchoServer = {
    port: 0,
    calls: 0,
    cancelled: 0,
    options,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
  server.addService(ECHO_SERVICE, {
    say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      state.calls++;
      call.on('cancelled', () => state.cancelled++);
      const answer = () => {
        const trailer = new grpc.Metadata();
        trailer.set('x-served-by', state.options.name);
        if (state.options.failWith !== undefined) callback({ code: state.options.failWith, details: `${state.options.name} is failing` }, null, trailer);
        else callback(null, Buffer.from(`${state.options.name} says ${call.request.toString()}`), trailer);
      };
      if (state.options.delayMs) setTimeout(answer, state.options.delayMs);
      else answer();
    },
    chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (m: Buffer) => call.write(Buffer.from(`${state.options.name} echoes ${m.toString()}`)));
      call.on('end', () => {
        const trailer = new grpc.Metadata();
        trailer.set('x-served-by', state.options.name);
        call.end(trailer);
      });
    },
  });
  state.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  return state;
}

const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');

/** A client with one channel (one HTTP/2 connection) to `port`, naming `authority` as the service. */
export function echoClient(port: number, authority: string): grpc.Client & Record<string, unknown> {
  return new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.default_authority': authority,
    // One connection for every call: what request-level balancing must spread.
    'grpc.use_local_subchannel_pool': 1,
  }) as grpc.Client & Record<string, unknown>;
}

export interface UnaryResult {
  error: grpc.ServiceError | null;
  reply: string | undefined;
  trailers: grpc.Metadata | undefined;
}

/** One Say call; resolves with the outcome instead of throwing, trailers included. */
export function say(client: grpc.Client, text: string, deadlineMs = 10_000): Promise<UnaryResult> {
  return new Promise((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client.makeUnaryRequest<Buffer, Buffer>(
      ECHO_SERVICE.say.path,
      bytes.serialize,
      bytes.deserialize,
      Buffer.from(text),
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, reply) => setImmediate(() => resolve({ error, reply: reply?.toString(), trailers })),
    );
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  });
}

/** Opens a Chat (bidi) call. */
export function chat(client: grpc.Client): grpc.ClientDuplexStream<Buffer, Buffer> {
  return client.makeBidiStreamRequest<Buffer, Buffer>(ECHO_SERVICE.chat.path, bytes.serialize, bytes.deserialize, new grpc.Metadata(), {
    deadline: Date.now() + 10_000,
  });
}

export { grpc };
