import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let app: Upstream;
let proxy: ProxyProcess;

beforeAll(async () => {
  app = await startUpstream((req, res, hit) => {
    const url = req.url ?? '/';
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (url.startsWith('/fresh')) headers['cache-control'] = 'max-age=60';
    if (url.startsWith('/short')) headers['cache-control'] = 'max-age=1';
    if (url.startsWith('/no-store')) headers['cache-control'] = 'no-store';
    if (url.startsWith('/private')) headers['cache-control'] = 'private, max-age=60';
    if (url.startsWith('/vary')) Object.assign(headers, { 'cache-control': 'max-age=60', vary: 'accept-language' });
    if (url.startsWith('/big')) headers['cache-control'] = 'max-age=60';
    res.writeHead(200, headers);
    res.end(url.startsWith('/big') ? 'x'.repeat(4096) : url.startsWith('/vary') ? `${req.headers['accept-language']} ${hit}` : `body ${hit}`);
  });
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({ service: 'catalog', inbound: { cache: { maxEntries: 100, maxEntryBytes: 1024, maxTotalBytes: 1 << 20 } } }),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

test('a fresh cached response is served as a HIT without touching the upstream', async () => {
  const miss = await send(proxy.inbound, { path: '/fresh' });
  expect(miss.headers['x-cache']).toBe('MISS');
  const before = app.hits;
  for (let i = 0; i < 10; i++) {
    const hit = await send(proxy.inbound, { path: '/fresh' });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toBe(miss.body);
  }
  expect(app.hits).toBe(before);
  const metrics = await (await fetch(`${proxy.admin}/metrics`)).text();
  expect(metrics).toMatch(/trellis_cache_hits_total\{[^}]*\} 10/);
});

test('HEAD is answered from a cached GET', async () => {
  await send(proxy.inbound, { path: '/fresh?head' });
  const before = app.hits;
  const head = await send(proxy.inbound, { path: '/fresh?head', method: 'HEAD' });
  expect(head.headers['x-cache']).toBe('HIT');
  expect(app.hits).toBe(before);
});

test('no-store, private and over-size responses are not cached', async () => {
  for (const path of ['/no-store', '/private', '/big']) {
    await send(proxy.inbound, { path });
    const again = await send(proxy.inbound, { path });
    expect(again.headers['x-cache'], path).toBe('MISS');
  }
});

test('a request with Cache-Control: no-cache goes to the upstream', async () => {
  await send(proxy.inbound, { path: '/fresh?nc' });
  const r = await send(proxy.inbound, { path: '/fresh?nc', headers: { 'cache-control': 'no-cache' } });
  expect(r.headers['x-cache']).toBe('MISS');
});

test('entries expire after max-age', async () => {
  await send(proxy.inbound, { path: '/short' });
  expect((await send(proxy.inbound, { path: '/short' })).headers['x-cache']).toBe('HIT');
  await new Promise((r) => setTimeout(r, 1100));
  expect((await send(proxy.inbound, { path: '/short' })).headers['x-cache']).toBe('MISS');
});

test('Vary keeps one entry per value of the named request header', async () => {
  const en = await send(proxy.inbound, { path: '/vary', headers: { 'accept-language': 'en' } });
  const fr = await send(proxy.inbound, { path: '/vary', headers: { 'accept-language': 'fr' } });
  expect(fr.headers['x-cache']).toBe('MISS');
  const enAgain = await send(proxy.inbound, { path: '/vary', headers: { 'accept-language': 'en' } });
  expect(enAgain.headers['x-cache']).toBe('HIT');
  expect(enAgain.body).toBe(en.body);
  expect(fr.body).toMatch(/^fr /);
});
