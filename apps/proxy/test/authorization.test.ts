import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy, type ProxyProcess } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// "payments" lets only "checkout" call it, and nobody may DELETE under /admin.
let app: Upstream;
let payments: ProxyProcess;
let checkout: ProxyProcess;
let browser: ProxyProcess;

beforeAll(async () => {
  app = await startUpstream('paid');
  payments = await startProxy({
    appPort: app.port,
    config: snapshot({
      service: 'payments',
      authorization: [
        { id: 'AuthorizationPolicy/default/callers', action: 'Allow', rules: [{ from: ['checkout'] }] },
        { id: 'AuthorizationPolicy/default/no-admin-delete', action: 'Deny', rules: [{ from: ['*'], paths: [{ type: 'PathPrefix', value: '/admin' }], methods: ['DELETE'] }] },
      ],
    }),
  });
  const paymentsPort = Number(new URL(payments.inbound).port);
  const calls = [service({ name: 'payments', endpoints: [endpoint(paymentsPort)] })];
  checkout = await startProxy({ config: snapshot({ service: 'checkout', outbound: calls }) });
  browser = await startProxy({ config: snapshot({ service: 'browser', outbound: calls }) });
});

afterAll(async () => {
  await Promise.all([payments?.stop(), checkout?.stop(), browser?.stop()]);
  await app?.close();
});

test('an allowed caller gets through; others get 403 denied', async () => {
  expect((await send(checkout.outbound, { host: 'payments' })).status).toBe(200);
  const denied = await send(browser.outbound, { host: 'payments' });
  expect(denied.status).toBe(403);
  expect(denied.headers['x-trellis-reason']).toBe('denied');
  expect(denied.body).toContain('browser.default');
});

test('callers outside the mesh are "external" and match only "*"', async () => {
  expect((await send(payments.inbound)).status).toBe(403);
});

test('a deny rule wins over an allow', async () => {
  expect((await send(checkout.outbound, { host: 'payments', path: '/admin/users', method: 'DELETE' })).status).toBe(403);
  expect((await send(checkout.outbound, { host: 'payments', path: '/admin/users' })).status).toBe(200);
});
