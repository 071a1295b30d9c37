import { afterAll, beforeAll, expect, test } from 'vitest';
import { echoClient, grpc, say, startEchoServer, type EchoServer } from './support/grpc.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, retry, service, snapshot } from './support/snapshot.ts';

// Request-level balancing of gRPC: one client connection (what Kubernetes would pin to one pod) has its
// calls spread over every endpoint, and a call that one endpoint refuses with UNAVAILABLE is retried on
// another. The three servers are the service's endpoints directly (h2c), behind one caller proxy.

let servers: EchoServer[];
let caller: ProxyProcess;

beforeAll(async () => {
  servers = await Promise.all(['a', 'b', 'c'].map((name) => startEchoServer({ name })));
  const endpoints = servers.map((s) => endpoint(s.port));
  caller = await startProxy({
    config: snapshot({
      service: 'web',
      outbound: [
        service({ name: 'greeter', endpoints }),
        service({ name: 'greeter-retried', endpoints, policies: { retry: retry({ attempts: 3, retryOn: ['unavailable'] }) } }),
      ],
    }),
  });
});

afterAll(async () => {
  await Promise.all([caller?.stop(), ...(servers ?? []).map((s) => s.close())]);
});

test('one client connection making 3,000 calls: each of 3 endpoints gets 33 % ±5 %', async () => {
  const client = echoClient(Number(new URL(caller.outbound).port), 'greeter');
  const before = servers.map((s) => s.calls);
  try {
    let next = 0;
    let failures = 0;
    // 32 calls in flight at a time, all on the one HTTP/2 connection the client holds.
    const worker = async () => {
      while (next < 3000) {
        next++;
        const result = await say(client, 'hi');
        if (result.error) failures++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(failures).toBe(0);
    const shares = servers.map((s, i) => (s.calls - (before[i] ?? 0)) / 3000);
    for (const share of shares) expect(share).toBeGreaterThanOrEqual(0.28);
    for (const share of shares) expect(share).toBeLessThanOrEqual(0.38);
  } finally {
    client.close();
  }
});

test('UNAVAILABLE from one of three endpoints is retried on another: every caller sees success', async () => {
  const failing = servers[1] as EchoServer;
  failing.options.failWith = grpc.status.UNAVAILABLE;
  const client = echoClient(Number(new URL(caller.outbound).port), 'greeter-retried');
  const before = failing.calls;
  try {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => say(client, `call ${i}`)));
    expect(results.map((r) => r.error?.code ?? 'ok')).toEqual(Array.from({ length: 30 }, () => 'ok'));
    expect(results.every((r) => !r.reply?.startsWith('b '))).toBe(true);
    // The failing endpoint was tried (round robin reaches it), so those calls were retries that worked.
    expect(failing.calls - before).toBeGreaterThan(0);
  } finally {
    failing.options.failWith = undefined;
    client.close();
  }
});

test('without a RetryPolicy naming it, UNAVAILABLE reaches the caller as it came', async () => {
  const failing = servers[1] as EchoServer;
  failing.options.failWith = grpc.status.UNAVAILABLE;
  const client = echoClient(Number(new URL(caller.outbound).port), 'greeter');
  try {
    const results = await Promise.all(Array.from({ length: 9 }, () => say(client, 'x')));
    const unavailable = results.filter((r) => r.error?.code === grpc.status.UNAVAILABLE);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable[0]?.error?.details).toBe('b is failing');
  } finally {
    failing.options.failWith = undefined;
    client.close();
  }
});
