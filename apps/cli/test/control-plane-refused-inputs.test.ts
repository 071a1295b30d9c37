import { afterAll, beforeAll, expect, test } from 'vitest';
import { TEST_BOOTSTRAP_TOKEN, startControlPlaneProcess } from './support/run.ts';

const auth = { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` };

// Issue 11: a control plane fed a 50 MB annotation grew from 308 MB to 1,390 MB and kept it. A real
// `trellis control-plane` process gets the fuzz inputs of the issue over and over; every one is refused
// with a 4xx, and its memory does not grow with them.

let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;

beforeAll(async () => {
  // A limit below the 1 MiB default, which also shows --max-body-bytes at work.
  cp = await startControlPlaneProcess(['--max-body-bytes', String(512 * 1024)]);
});

afterAll(async () => {
  await cp?.stop();
});

const policy = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'RetryPolicy',
  metadata: { name: 'fuzz', ...extra },
  spec: { targetRef: { kind: 'Service', name: 'payments' }, attempts: 3 },
});

/** Each refused input: the request body as sent (text, so `__proto__` and lone surrogates survive) and the status wanted. */
const FUZZ: Array<{ name: string; body: string; status: number }> = [
  { name: '3 MB annotation (over the body limit)', body: JSON.stringify({ resource: policy({ annotations: { note: 'x'.repeat(3 * 1024 * 1024) } }) }), status: 413 },
  { name: '300 KiB annotation (over 256 KiB)', body: JSON.stringify({ resource: policy({ annotations: { note: 'x'.repeat(300 * 1024) } }) }), status: 400 },
  { name: 'NUL in a name', body: JSON.stringify({ resource: policy({ name: 'fu\u0000zz' }) }), status: 400 },
  { name: 'NUL in a note', body: JSON.stringify({ resource: policy(), note: '\u0000' }), status: 400 },
  { name: 'lone surrogate', body: JSON.stringify({ resource: policy({ annotations: { a: 'X' } }) }).replace('"X"', '"\\ud800"'), status: 400 },
  { name: '__proto__ in labels', body: JSON.stringify({ resource: policy({ labels: { a: 'b' } }) }).replace('"a":"b"', '"__proto__":"b"'), status: 400 },
  { name: 'deep nesting', body: `{"resource":{"apiVersion":"trellis.dev/v1alpha1","kind":"Service","metadata":{"name":"s"},"spec":{},"status":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`, status: 400 },
  { name: 'huge array', body: JSON.stringify({ resource: { ...policy(), status: { list: new Array(200_000).fill(1) } } }), status: 400 },
];

async function send(body: string): Promise<number> {
  const res = await fetch(`${cp.url}/trpc/resources.apply`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
  await res.arrayBuffer();
  return res.status;
}

/** Heap in use and resident memory, as the control plane reports them on /metrics. */
async function memory(): Promise<{ heapMb: number; rssMb: number }> {
  const text = await (await fetch(`${cp.url}/metrics`, { headers: auth })).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]) / 1024 / 1024;
  return { heapMb: read('trellis_cp_nodejs_heap_size_used_bytes'), rssMb: read('trellis_cp_process_resident_memory_bytes') };
}

test('the fuzz inputs of issue 11 are refused with 4xx, and sending them 40 times over does not grow the control plane', async () => {
  // The issue's own 50 MB annotation, once: 413 at once, from the declared length.
  expect(await send(JSON.stringify({ resource: policy({ annotations: { note: 'x'.repeat(50 * 1024 * 1024) } }) }))).toBe(413);
  for (let round = 0; round < 5; round++) for (const fuzz of FUZZ) expect(await send(fuzz.body), fuzz.name).toBe(fuzz.status);
  const before = await memory();
  const rounds = 40;
  for (let round = 0; round < rounds; round++) for (const fuzz of FUZZ) expect(await send(fuzz.body), fuzz.name).toBe(fuzz.status);
  const after = await memory();
  const sentMb = (rounds * FUZZ.reduce((sum, f) => sum + f.body.length, 0)) / 1024 / 1024;
  // About 155 MB of refused input went in; what the heap moves by is garbage-collector slack, not the inputs.
  // The control plane caps its young generation at 2 x 4 MB (young-generation.ts), so the refused bodies'
  // garbage is promoted and waits in the old generation for a mark-compact: up to ~60 MB seen. Keeping the
  // inputs would show as their whole size, which the limits stay well below.
  const report = `sent ${sentMb.toFixed(0)} MB; heap ${before.heapMb.toFixed(1)} -> ${after.heapMb.toFixed(1)} MB, RSS ${before.rssMb.toFixed(1)} -> ${after.rssMb.toFixed(1)} MB`;
  expect(sentMb).toBeGreaterThan(150);
  expect(after.heapMb - before.heapMb, report).toBeLessThan(100);
  expect(after.rssMb - before.rssMb, report).toBeLessThan(120);
  // Nothing was stored, and the API still answers.
  const list = await fetch(`${cp.url}/trpc/resources.list`, { headers: auth });
  expect(list.status).toBe(200);
  expect(((await list.json()) as { result: { data: unknown[] } }).result.data).toEqual([]);
  console.log(`refused inputs: ${report}`);
});

test('an upload over the limit gets its 413 whole, however much of it is still being sent when the answer goes out', async () => {
  // Closing the connection with the answer reset clients that were still sending, and the reset could
  // throw the 413 away unread: fetch failed with EPIPE for about half of these.
  const statuses: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let mb = 1; mb <= 7; mb++) statuses.push(await send(JSON.stringify({ resource: policy({ annotations: { note: 'x'.repeat(mb * 1024 * 1024) } }) })));
  }
  expect(statuses).toEqual(new Array(21).fill(413));
});
