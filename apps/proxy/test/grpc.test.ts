import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { chat, echoClient, grpc, say, startEchoServer, type EchoServer } from './support/grpc.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, outboundRoute, service, snapshot } from './support/snapshot.ts';

// gRPC through two proxies (caller's outbound -> destination's inbound -> app), HTTP/2 end to end.

let app: EchoServer;
let destination: ProxyProcess;
let caller: ProxyProcess;
let client: grpc.Client;

/** One gRPC message: not compressed, then its length, then its bytes. */
const grpcMessage = (text: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, text.length]), Buffer.from(text)]);

/**
 * A gRPC server written on node:http2, for what @grpc/grpc-js will not do on demand: it allows one stream
 * per connection (SETTINGS_MAX_CONCURRENT_STREAMS 1). Wait answers once two calls are open at the same
 * time; Stall sends one message of a server stream and then nothing.
 */
const raw = {
  server: http2.createServer({ settings: { maxConcurrentStreams: 1 } }),
  port: 0,
  /** The connection each call of Wait came on. */
  waitSessions: [] as http2.ServerHttp2Session[],
  waiting: [] as http2.ServerHttp2Stream[],
};
raw.server.on('stream', (stream, headers) => {
  stream.on('error', () => undefined);
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  // FailLate answers a message, then fails in its trailers (UNAVAILABLE), as a server that breaks mid-call does.
  const failLate = headers[':path'] === '/trellis.test.Raw/FailLate';
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': failLate ? '14' : '0' }));
  if (failLate) {
    stream.end(grpcMessage('partial'));
    return;
  }
  if (headers[':path'] === '/trellis.test.Raw/Stall') {
    stream.write(grpcMessage('first'));
    return;
  }
  raw.waitSessions.push(stream.session as http2.ServerHttp2Session);
  raw.waiting.push(stream);
  if (raw.waiting.length < 2) return;
  for (const s of raw.waiting.splice(0)) s.end(grpcMessage('both here'));
});

beforeAll(async () => {
  app = await startEchoServer({ name: 'greeter-1' });
  await new Promise<void>((resolve) => raw.server.listen(0, '127.0.0.1', resolve));
  raw.port = (raw.server.address() as AddressInfo).port;
  destination = await startProxy({ appPort: app.port, config: snapshot({ service: 'greeter' }), args: ['--app-protocol', 'grpc'] });
  const inboundPort = Number(new URL(destination.inbound).port);
  const stall = outboundRoute('stall', { timeout: { requestMs: 10_000, idleMs: 300 } }, { path: { type: 'Exact', value: '/trellis.test.Raw/Stall' } });
  const failLate = outboundRoute('fail-late', {}, { path: { type: 'Exact', value: '/trellis.test.Raw/FailLate' } });
  caller = await startProxy({
    config: snapshot({
      service: 'web',
      outbound: [service({ name: 'greeter', endpoints: [endpoint(inboundPort)] }), service({ name: 'raw', endpoints: [endpoint(raw.port)], routes: [stall, failLate] })],
    }),
  });
  client = echoClient(Number(new URL(caller.outbound).port), 'greeter');
});

afterAll(async () => {
  client?.close();
  raw.server.close();
  await Promise.all([caller?.stop(), destination?.stop(), app?.close()]);
});

/** The sum of a counter's series on the caller's /metrics whose labels hold every one of `parts`. */
async function callerMetric(name: string, ...parts: string[]): Promise<number> {
  const text = await (await fetch(`${caller.admin}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && parts.every((p) => l.includes(p)));
  return lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

test('a unary call passes both proxies with its answer, grpc-status and trailers intact', async () => {
  const result = await say(client, 'hello');
  expect(result.error).toBeNull();
  expect(result.reply).toBe('greeter-1 says hello');
  expect(result.trailers?.get('x-served-by')).toEqual(['greeter-1']);
});

test('a bidirectional stream passes both proxies, messages flowing both ways before either side ends', async () => {
  const call = chat(client);
  const replies: string[] = [];
  // Each message is sent only after the previous answer came back: nothing may wait for the stream's end.
  for (const m of ['one', 'two', 'three']) {
    const reply = new Promise<string>((resolve) => call.once('data', (d: Buffer) => resolve(d.toString())));
    call.write(Buffer.from(m));
    replies.push(await reply);
  }
  const status = new Promise<grpc.StatusObject>((resolve) => call.once('status', resolve));
  call.end();
  const { code, metadata } = await status;
  expect(replies).toEqual(['greeter-1 echoes one', 'greeter-1 echoes two', 'greeter-1 echoes three']);
  expect(code).toBe(grpc.status.OK);
  expect(metadata.get('x-served-by')).toEqual(['greeter-1']);
});

test('a deadline shorter than the server takes gives DEADLINE_EXCEEDED, and the server sees the call cancelled', async () => {
  app.options.delayMs = 1500;
  try {
    const before = app.cancelled;
    const started = Date.now();
    const result = await say(client, 'slow', 200);
    expect(result.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(1400);
    // The cancellation travelled through both proxies to the app (RST_STREAM on each hop).
    await expect.poll(() => app.cancelled, { timeout: 5000 }).toBe(before + 1);
  } finally {
    app.options.delayMs = 0;
  }
});

test('the proxy enforces grpc-timeout itself: a caller without its own deadline gets DEADLINE_EXCEEDED from it', async () => {
  app.options.delayMs = 1500;
  try {
    const session = http2.connect(caller.outbound);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/trellis.test.Echo/Say',
      ':authority': 'greeter',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '200m',
    });
    // One gRPC message: not compressed, 5 bytes long.
    stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]));
    const head = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('trailers', resolve));
    stream.resume();
    await new Promise((resolve) => stream.once('close', resolve));
    session.close();
    expect(head[':status']).toBe(200);
    expect(head['x-trellis-reason']).toBe('timeout');
    expect((await trailers)['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED));
  } finally {
    app.options.delayMs = 0;
  }
});

test("the proxy's own errors reach a gRPC caller as gRPC errors: an unknown service is UNIMPLEMENTED with the reason", async () => {
  const stranger = echoClient(Number(new URL(caller.outbound).port), 'nobody');
  try {
    const result = await say(stranger, 'hello');
    expect(result.error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(result.error?.details).toBe(`unknown service: no service named "nobody" in this proxy's configuration (Host header)`);
  } finally {
    stranger.close();
  }
});

test('calls are counted by grpc-status when they end: OK, DEADLINE_EXCEEDED and UNIMPLEMENTED on /metrics', async () => {
  const count = (destination: string, status: number) => callerMetric('trellis_grpc_requests_total', `destination_service="${destination}"`, `grpc_status="${status}"`);
  // The tests above made these calls; a stream counts once, when it ends.
  await expect.poll(() => count('greeter.default', grpc.status.OK), { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  expect(await count('greeter.default', grpc.status.DEADLINE_EXCEEDED)).toBeGreaterThanOrEqual(1);
  expect(await count('unknown', grpc.status.UNIMPLEMENTED)).toBe(1);
  // A call on the catch-all route counts under its method, so the dashboard can show a row per method.
  expect(await callerMetric('trellis_grpc_requests_total', 'destination_service="greeter.default"', 'route="/trellis.test.Echo/Say"', 'grpc_status="0"')).toBeGreaterThanOrEqual(1);
  expect(await callerMetric('trellis_grpc_requests_total', 'destination_service="greeter.default"', 'route="/trellis.test.Echo/Chat"', 'grpc_status="0"')).toBe(1);
});

test('a server stream silent for longer than TimeoutPolicy idle is ended with DEADLINE_EXCEEDED after what it sent, and counted', async () => {
  const rawClient = echoClient(Number(new URL(caller.outbound).port), 'raw');
  try {
    const started = Date.now();
    const call = rawClient.makeServerStreamRequest<Buffer, Buffer>('/trellis.test.Raw/Stall', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('go'), new grpc.Metadata(), {
      deadline: Date.now() + 10_000,
    });
    const messages: string[] = [];
    call.on('data', (m: Buffer) => messages.push(m.toString()));
    const error = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    expect(messages).toEqual(['first']);
    // The proxy's idle timeout (300 ms), not the caller's deadline (10 s), ended it: a status, not a reset.
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(error.details).toBe('upstream idle timeout after the response began');
    expect(error.metadata.get('x-trellis-reason')).toEqual(['idle-timeout']);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => callerMetric('trellis_response_bodies_cut_total', 'destination_service="raw.default"', 'reason="idle-timeout"'), { timeout: 5000 }).toBe(1);
    expect(await callerMetric('trellis_grpc_requests_total', 'destination_service="raw.default"', 'grpc_status="4"')).toBe(1);
  } finally {
    rawClient.close();
  }
});

test('an endpoint that allows one stream per connection gets a second connection for a second call, not a queue', async () => {
  const rawClient = echoClient(Number(new URL(caller.outbound).port), 'raw');
  try {
    const wait = () =>
      new Promise<{ code: number; reply: string | undefined }>((resolve) =>
        rawClient.makeUnaryRequest<Buffer, Buffer>('/trellis.test.Raw/Wait', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), { deadline: Date.now() + 5000 }, (err, reply) =>
          resolve({ code: err?.code ?? grpc.status.OK, reply: reply?.toString() }),
        ),
      );
    // Each call is answered only once both are open at the server: queued behind the first, the second
    // would never arrive and both would run into their deadline.
    expect(await Promise.all([wait(), wait()])).toEqual([
      { code: grpc.status.OK, reply: 'both here' },
      { code: grpc.status.OK, reply: 'both here' },
    ]);
    expect(new Set(raw.waitSessions).size).toBe(2);
  } finally {
    rawClient.close();
  }
});

test('a call that fails in its trailers (after a message) counts as a failed try, so the rate before retries is never above what callers got', async () => {
  const session = http2.connect(caller.outbound);
  const call = () =>
    new Promise<string | undefined>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/trellis.test.Raw/FailLate', ':authority': 'raw', 'content-type': 'application/grpc', te: 'trailers' });
      req.on('trailers', (trailers) => resolve(String(trailers['grpc-status'])));
      req.on('error', reject);
      req.on('end', () => resolve(undefined));
      req.resume();
      req.end(grpcMessage('hello'));
    });
  try {
    for (let i = 0; i < 3; i++) expect(await call()).toBe('14');
  } finally {
    session.close();
  }
  const edge = ['destination_service="raw.default"', 'route="fail-late"'];
  await expect.poll(() => callerMetric('trellis_grpc_requests_total', ...edge, 'grpc_status="14"'), { timeout: 5000 }).toBe(3);
  expect(await callerMetric('trellis_attempts_total', ...edge)).toBe(3);
  expect(await callerMetric('trellis_failed_attempts_total', ...edge)).toBe(3);
});
