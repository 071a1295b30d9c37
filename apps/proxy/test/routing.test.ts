import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, outboundRoute, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Each route aborts with its own status (fault injection at 100 %), so the status shows which route
// matched; the catch-all "default" reaches the upstream.
const abort = (status: number) => ({ fault: { abort: { percentage: 100, status } } });

let upstream: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  upstream = await startUpstream('upstream');
  proxy = await startProxy({
    config: snapshot({
      outbound: [
        service({
          name: 'api',
          endpoints: [endpoint(upstream.port)],
          routes: [
            outboundRoute('exact', abort(451), { path: { type: 'Exact', value: '/exact' } }),
            outboundRoute('prefix', abort(452), { path: { type: 'PathPrefix', value: '/prefix' } }),
            outboundRoute('regex', abort(453), { path: { type: 'RegularExpression', value: '/items/[0-9]+' } }),
            outboundRoute('method', abort(454), { method: 'DELETE' }),
            outboundRoute('header', abort(455), { headers: [{ type: 'Exact', name: 'X-Canary', value: 'yes' }] }),
            outboundRoute('query', abort(456), { queryParams: [{ type: 'RegularExpression', name: 'debug', value: '1|true' }] }),
          ],
        }),
      ],
    }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});

const status = async (path: string, options: { method?: string; headers?: Record<string, string> } = {}) =>
  (await send(proxy.outbound, { host: 'api', path, ...options })).status;

test('an exact path matches only itself', async () => {
  expect(await status('/exact')).toBe(451);
  expect(await status('/exact/more')).toBe(200);
  expect(await status('/exact?x=1')).toBe(451);
});

test('a path prefix matches whole segments', async () => {
  expect(await status('/prefix')).toBe(452);
  expect(await status('/prefix/a/b')).toBe(452);
  expect(await status('/prefixed')).toBe(200);
});

test('a regular expression must match the whole path', async () => {
  expect(await status('/items/42')).toBe(453);
  expect(await status('/items/42/reviews')).toBe(200);
  expect(await status('/items/abc')).toBe(200);
});

test('method, header and query parameter matches', async () => {
  expect(await status('/anything', { method: 'DELETE' })).toBe(454);
  expect(await status('/anything', { headers: { 'x-canary': 'yes' } })).toBe(455);
  expect(await status('/anything', { headers: { 'x-canary': 'no' } })).toBe(200);
  expect(await status('/anything?debug=true')).toBe(456);
  expect(await status('/anything?debug=0')).toBe(200);
});

test('requests no route claims take the catch-all default route to the upstream', async () => {
  const r = await send(proxy.outbound, { host: 'api', path: '/other' });
  expect(r.status).toBe(200);
  expect(r.body).toBe('upstream');
});
