import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { rawRequest, statusOf } from './support/raw-http.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

let app: Upstream;
let proxy: ProxyProcess;
let outboundPort = 0;
let inboundPort = 0;

beforeAll(async () => {
  app = await startUpstream('app');
  proxy = await startProxy({
    appPort: app.port,
    config: snapshot({ service: 'app', outbound: [service({ name: 'app', endpoints: [endpoint(app.port)] })] }),
    args: ['--max-header-bytes', '8192', '--client-header-timeout', '500'],
  });
  outboundPort = Number(new URL(proxy.outbound).port);
  inboundPort = Number(new URL(proxy.inbound).port);
});

afterAll(async () => {
  await proxy?.stop();
  await app?.close();
});

const stillServes = async () => {
  const r = await send(proxy.outbound, { host: 'app' });
  expect(r.status).toBe(200);
};

test.each([
  { name: 'a header line without a colon', bytes: 'GET / HTTP/1.1\r\nHost: app\r\nthis is not a header\r\n\r\n', status: 400 },
  { name: 'a header name with a space', bytes: 'GET / HTTP/1.1\r\nHost: app\r\nBad Name: x\r\n\r\n', status: 400 },
  { name: 'a control character in a header value', bytes: 'GET / HTTP/1.1\r\nHost: app\r\nX-A: a\x01b\r\n\r\n', status: 400 },
  { name: 'a request line that is not HTTP', bytes: 'HELLO THERE\r\n\r\n', status: 400 },
  {
    name: 'both Content-Length and Transfer-Encoding',
    bytes: 'POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    status: 400,
  },
  { name: 'headers over the size limit', bytes: `GET / HTTP/1.1\r\nHost: app\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`, status: 431 },
])('$name gets $status and the proxy stays up', async ({ bytes, status }) => {
  for (const port of [outboundPort, inboundPort]) {
    const answer = await rawRequest(port, bytes);
    expect(statusOf(answer)).toBe(status);
  }
  await stillServes();
});

test('a broken chunked body gets 400 and never reaches the app as a whole request', async () => {
  const before = app.hits;
  const answer = await rawRequest(outboundPort, 'POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
  expect(statusOf(answer)).toBe(400);
  expect(answer).toContain('x-trellis-reason: bad-request');
  await stillServes();
  expect(app.hits - before).toBeLessThanOrEqual(2);
});

test('a client that sends its headers too slowly gets 408', async () => {
  const answer = await rawRequest(outboundPort, 'GET / HTTP/1.1\r\nHost: app\r\n', 3000);
  expect(statusOf(answer)).toBe(408);
  await stillServes();
});
