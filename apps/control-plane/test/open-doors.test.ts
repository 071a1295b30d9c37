import { afterEach, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, startTestControlPlane } from './support/control-plane.ts';
import { bearer, createUser, signInToken } from './support/auth.ts';

// What answers without credentials: health and readiness always, metrics only when the control plane
// is started with --public-metrics (publicMetrics).
describe.each(DATABASES.slice(0, 1))('doors open to anyone, on %s', (_name, create) => {
  let db: TestDatabase | undefined;
  let env: Awaited<ReturnType<typeof startTestControlPlane>> | undefined;
  afterEach(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  it('serves /healthz and /readyz to anyone, /metrics only to a caller who may read the mesh', async () => {
    db = await create();
    env = await startTestControlPlane(db.options);
    const url = env.cp.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const anonymous = await fetch(`${url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('--public-metrics');
    await createUser(url, 'vera', 'viewer');
    const viewer = await fetch(`${url}/metrics`, { headers: bearer(await signInToken(url, 'vera')) });
    expect(viewer.status).toBe(200);
    expect(await viewer.text()).toContain('trellis_cp_connected_proxies');
  });

  it('serves /metrics to anyone with --public-metrics, and nothing else changes', async () => {
    db = await create();
    env = await startTestControlPlane({ ...db.options, publicMetrics: true });
    const url = env.cp.url;
    const anonymous = await fetch(`${url}/metrics`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.text()).toContain('trellis_cp_api_subscriptions');
    expect((await fetch(`${url}/trpc/resources.list`)).status).toBe(401);
    expect((await fetch(`${url}/trpc/resources.list`, { headers: bearer(TEST_BOOTSTRAP_TOKEN) })).status).toBe(200);
  });
});
