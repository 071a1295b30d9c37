import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, outboundRoute, retry, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Regression test for the attempt rewrite (one timer, no per-attempt Cancellation): a per-try timeout
// that fires while the attempt still waits for a pooled connection must end that attempt for good. It
// may not be sent later, when the connection frees up and nobody waits for its answer.

let upstream: Upstream;
let proxy: ProxyProcess;
const paths: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    paths.push(req.url ?? '');
    setTimeout(() => res.end('done'), 600);
  });
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'one',
          endpoints: [endpoint(upstream.port)],
          // One connection: a second request waits in the pool while the first holds it.
          circuitBreaker: { maxConnections: 1, maxPendingRequests: 10 },
          routes: [outboundRoute('hold', {}, { path: { type: 'PathPrefix', value: '/hold' } })],
          policies: { retry: retry({ attempts: 2, retryOn: ['5xx'], perTryTimeoutMs: 150 }) },
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});

test('an attempt whose per-try timeout ran out while it waited for a connection is never sent', async () => {
  const holding = send(proxy.outbound, { host: 'one', path: '/hold' });
  await new Promise((r) => setTimeout(r, 50));
  const queued = await send(proxy.outbound, { host: 'one', path: '/queued' });
  expect(queued.status).toBe(504);
  expect(queued.headers['x-trellis-reason']).toBe('timeout');
  expect((await holding).status).toBe(200);
  // Give a wrongly kept attempt time to reach the upstream once the connection is free.
  await new Promise((r) => setTimeout(r, 400));
  expect(paths).toEqual(['/hold']);
});
