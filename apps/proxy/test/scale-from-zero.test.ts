import http from 'node:http';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../src/options.ts';
import { Workload } from '../src/workload.ts';
import { send } from './support/load.ts';
import { tempDir, writeSnapshot } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// ScaleToZeroPolicy in the caller's proxy, in process (real listener and upstream sockets, no child
// process): a request for a service with no endpoint waits, the control plane is asked for a scale-up,
// and a snapshot with the first endpoint sends it on; bounded in time and in number.

const HOLD = { holdMs: 600, maxHeld: 3 };
let fn: Upstream;
let workload: Workload;
let outbound: string;
let version = 1;
const asked: string[] = [];

const config = (fnEndpoints: number[], scaleFromZero: typeof HOLD | undefined = HOLD) =>
  snapshot({
    version: version++,
    outbound: [
      service({ name: 'fn', endpoints: fnEndpoints.map((p) => endpoint(p)), ...(scaleFromZero ? { scaleFromZero } : {}) }),
      service({ name: 'plain', endpoints: [] }),
    ],
  });

/** The workload's held requests (a single-process workload always has them; the primary of --workers has none). */
function coldStarts() {
  const held = workload.coldStarts;
  if (!held) throw new Error('the workload holds no requests for services scaled to zero');
  return held;
}

beforeAll(async () => {
  fn = await startUpstream('fn answered');
  const file = writeSnapshot(tempDir(), config([]));
  workload = new Workload(
    { service: 'client', namespace: 'default', labels: {}, inboundPort: 0, outboundPort: 0, address: '127.0.0.1', configFile: file },
    { limits: DEFAULT_LIMITS, log: () => {} },
  );
  await workload.start(0);
  outbound = `http://127.0.0.1:${workload.ports.outbound}`;
  coldStarts().askScaleUp = (svc) => {
    asked.push(svc);
    return true;
  };
});

afterEach(() => {
  workload.apply(config([]), 'file');
  asked.length = 0;
});

afterAll(async () => {
  await workload?.drain(performance.now() + 1000);
  await fn?.close();
});

const waitFor = async (ok: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('a request to a service scaled to zero waits, asks for a scale-up once, and succeeds when the first endpoint comes', async () => {
  const pending = [send(outbound, { host: 'fn' }), send(outbound, { host: 'fn', path: '/second' })];
  await waitFor(() => coldStarts().heldFor('fn.default') === 2);
  expect(asked).toEqual(['fn.default']);
  await new Promise((r) => setTimeout(r, 150));
  workload.apply(config([fn.port]), 'file');
  const answers = await Promise.all(pending);
  expect(answers.map((a) => [a.status, a.body])).toEqual([
    [200, 'fn answered'],
    [200, 'fn answered'],
  ]);
  expect(answers.every((a) => a.ms >= 150)).toBe(true);
  expect(coldStarts().heldFor('fn.default')).toBe(0);
  // With an endpoint, nothing waits.
  const direct = await send(outbound, { host: 'fn' });
  expect(direct.status).toBe(200);
  expect(asked).toEqual(['fn.default']);
});

test('with no endpoint after the hold time, the caller gets 503 with the reason', async () => {
  const answer = await send(outbound, { host: 'fn' });
  expect(answer.status).toBe(503);
  expect(answer.headers['x-trellis-reason']).toBe('scale-up-timeout');
  expect(answer.body).toMatch(/fn\.default is scaled to zero and had no ready endpoint within 600 ms/);
  expect(answer.ms).toBeGreaterThanOrEqual(590);
  expect(answer.ms).toBeLessThan(2000);
  expect(coldStarts().heldFor('fn.default')).toBe(0);
});

test('more requests than the hold queue takes get 503 at once; those held still go on', async () => {
  const held = Array.from({ length: HOLD.maxHeld }, () => send(outbound, { host: 'fn' }));
  await waitFor(() => coldStarts().heldFor('fn.default') === HOLD.maxHeld);
  const over = await send(outbound, { host: 'fn' });
  expect(over.status).toBe(503);
  expect(over.headers['x-trellis-reason']).toBe('scale-up-queue-full');
  expect(over.ms).toBeLessThan(300);
  workload.apply(config([fn.port]), 'file');
  expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200, 200]);
});

test('a client that goes away stops waiting; a service without the policy is not held', async () => {
  const req = http.request(`${outbound}/`, { headers: { host: 'fn' } });
  const gone = new Promise((resolve) => req.on('error', () => resolve('aborted')));
  req.end();
  await waitFor(() => coldStarts().heldFor('fn.default') === 1);
  const abortedAt = performance.now();
  req.destroy();
  expect(await gone).toBe('aborted');
  await waitFor(() => coldStarts().heldFor('fn.default') === 0);
  // Well before the hold time: the client's going away ended the wait.
  expect(performance.now() - abortedAt).toBeLessThan(HOLD.holdMs / 2);

  const plain = await send(outbound, { host: 'plain' });
  expect(plain.status).toBe(503);
  expect(plain.headers['x-trellis-reason']).toBe('no-healthy-endpoint');
  expect(plain.ms).toBeLessThan(300);
  expect(asked).toEqual(['fn.default']);
});
