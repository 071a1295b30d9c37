// The bench's gRPC service: unary /bench.Echo/Say with raw bytes as messages (no .proto to compile).
const bytes = (b) => b;

export const ECHO = {
  say: {
    path: '/bench.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};
