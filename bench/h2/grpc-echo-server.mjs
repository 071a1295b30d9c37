// A gRPC server for bench/h2: @grpc/grpc-js, one unary method answering its request's bytes, on the port
// given as the first argument. Runs in its own process so the load client does not share its CPU.
import * as grpc from '@grpc/grpc-js';
import { ECHO } from './grpc-echo.mjs';

const port = Number(process.argv[2]);
const server = new grpc.Server();
server.addService(ECHO, { say: (call, callback) => callback(null, call.request) });
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write(`listening on ${port}\n`);
});
