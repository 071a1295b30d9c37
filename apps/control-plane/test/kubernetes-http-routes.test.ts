import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { startFakeKubernetes } from './support/fake-kubernetes.ts';
import { startProxyProcess, type ProxyProcess } from './support/proxy-process.ts';

// GAMMA (Gateway API for the mesh) with real traffic: HTTPRoutes in the fake API server, EndpointSlices
// pointing at two real HTTP servers (echo-v1, echo-v2), and a real `trellis proxy` process sending to
// Host "echo". Cases modelled on the conformance suite's mesh HTTPRoute weight, matching and
// header-modifier tests. The same proxy process also carries the scale-from-zero case (ScaleToZeroPolicy
// as a custom resource, Deployments with the scale subresource in the fake API server), so one control
// plane and one proxy serve both.

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

/** An app that answers with its name and the headers it received. */
async function startEcho(name: string) {
  const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, path: req.url, headers: req.headers })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}
const slice = (service: string, port: number) => ({
  metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});
const parentRefs = [{ group: '', kind: 'Service', name: 'echo', port: 80 }];
const backend = (name: string, weight?: number) => ({ group: '', kind: 'Service', name, port: 80, ...(weight !== undefined ? { weight } : {}) });

async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HTTPRoute in the mesh (GAMMA) and scale from zero, with real traffic through a proxy process', () => {
  let kube: Awaited<ReturnType<typeof startFakeKubernetes>>;
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let proxy: ProxyProcess;
  const apps: Awaited<ReturnType<typeof startEcho>>[] = [];

  /** One request to "echo" through the proxy: which app answered, and what it saw. */
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const call = (path = '/', headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') =>
    new Promise<{ status: number; name: string; headers: Record<string, string | undefined>; text: string }>((resolve, reject) => {
      const req = http.request(`${proxy.outbound}${path}`, { method, agent, headers: { host: 'echo', ...headers } }, (res) => {
        if (res.headers['x-trellis-reason']) headers['x-trellis-reason'] = String(res.headers['x-trellis-reason']);
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const ok = res.statusCode === 200;
          const body = ok ? (JSON.parse(text) as { name: string; headers: Record<string, string> }) : { name: '', headers: {} };
          resolve({ status: res.statusCode ?? 0, name: body.name, headers: body.headers, text });
        });
      });
      req.on('error', reject);
      req.end();
    });
  const routeNames = async () => {
    const config = (await (await fetch(`${proxy.admin}/config`)).json()) as { snapshot: { outbound: { services: { name: string; routes: { name: string }[] }[] } } | null };
    return config.snapshot?.outbound.services.find((s) => s.name === 'echo')?.routes.map((r) => r.name) ?? [];
  };

  beforeAll(async () => {
    kube = await startFakeKubernetes();
    for (const name of ['echo-v1', 'echo-v2']) apps.push(await startEcho(name));
    kube.putSlice(slice('echo', apps[0]?.port ?? 0));
    kube.putSlice(slice('echo-v1', apps[0]?.port ?? 0));
    kube.putSlice(slice('echo-v2', apps[1]?.port ?? 0));
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options, kubernetes: { kubeconfig: kube.kubeconfig, statusIntervalMs: 200 } });
    proxy = await startProxyProcess(env.cp.url, 'client');
  }, 180_000);
  afterAll(async () => {
    await proxy?.stop();
    await env?.cp.close();
    await db?.cleanup();
    await kube?.close();
    agent.destroy();
    for (const a of apps) a.server.close();
  });

  it('splits real traffic 80/20 across weighted backendRefs (within 5 points), and says Accepted and ResolvedRefs', async () => {
    kube.applyHttpRoute({ metadata: { name: 'echo-split', namespace: 'default' }, spec: { parentRefs, rules: [{ backendRefs: [backend('echo-v1', 80), backend('echo-v2', 20)] }] } });
    await eventually(routeNames, (names) => names.includes('echo-split-r0-m0'));
    const counts = { 'echo-v1': 0, 'echo-v2': 0 } as Record<string, number>;
    const total = 1000;
    for (let i = 0; i < total / 20; i++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => call()));
      for (const r of batch) counts[r.name] = (counts[r.name] ?? 0) + 1;
    }
    const [v1 = 0, v2 = 0] = [counts['echo-v1'], counts['echo-v2']];
    expect(v1 + v2).toBe(total);
    expect(Math.abs(v2 / total - 0.2)).toBeLessThanOrEqual(0.05);

    const route = await eventually(() => kube.getHttpRoute('default', 'echo-split'), (r) => ((r?.status as { parents?: unknown[] } | undefined)?.parents?.length ?? 0) > 0);
    expect(route?.status).toMatchObject({
      parents: [{
        parentRef: { group: '', kind: 'Service', name: 'echo' },
        controllerName: 'trellis.dev/mesh',
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 },
          { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' },
        ],
      }],
    });
  });

  it('matches path, header and method in precedence order and modifies request headers', async () => {
    kube.deleteHttpRoute('default', 'echo-split');
    kube.applyHttpRoute({
      metadata: { name: 'echo-match', namespace: 'default' },
      spec: {
        parentRefs,
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend('echo-v1')] },
          { matches: [{ path: { type: 'Exact', value: '/v2' } }], backendRefs: [backend('echo-v2')] },
          { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'version', value: 'two' }] }], backendRefs: [backend('echo-v2')] },
          { matches: [{ path: { type: 'PathPrefix', value: '/' }, method: 'POST' }], backendRefs: [backend('echo-v2')],
            filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-mesh', value: 'gamma' }], add: [{ name: 'x-added', value: 'yes' }], remove: ['x-drop'] } }] },
        ],
      },
    });
    await eventually(routeNames, (names) => names.includes('echo-match-r3-m0') && !names.includes('echo-split-r0-m0'));
    expect((await call('/v2')).name).toBe('echo-v2');
    expect((await call('/v2/more')).name).toBe('echo-v1');
    expect((await call('/other', { version: 'two' })).name).toBe('echo-v2');
    expect((await call('/other', { version: 'one' })).name).toBe('echo-v1');
    const posted = await call('/other', { 'x-drop': 'secret', 'x-mesh': 'client' }, 'POST');
    expect(posted.name).toBe('echo-v2');
    expect(posted.headers).toMatchObject({ 'x-mesh': 'gamma', 'x-added': 'yes' });
    expect(posted.headers['x-drop']).toBeUndefined();
  });

  it('a backendRef to an unknown Service is ResolvedRefs False (BackendNotFound); an invalid route is not Accepted, naming the field', async () => {
    kube.applyHttpRoute({ metadata: { name: 'echo-missing', namespace: 'default' }, spec: { parentRefs, rules: [{ matches: [{ path: { type: 'Exact', value: '/missing' } }], backendRefs: [backend('nowhere')] }] } });
    const missing = await eventually(() => kube.getHttpRoute('default', 'echo-missing'), (r) => ((r?.status as { parents?: unknown[] } | undefined)?.parents?.length ?? 0) > 0);
    expect(missing?.status).toMatchObject({ parents: [{ conditions: [{ type: 'Accepted', status: 'True' }, { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: expect.stringContaining('spec.rules[0].backendRefs[0]') as unknown }] }] });

    kube.applyHttpRoute({ metadata: { name: 'echo-bad', namespace: 'default' }, spec: { parentRefs, rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }], backendRefs: [backend('echo-v2')] }] } });
    const bad = await eventually(() => kube.getHttpRoute('default', 'echo-bad'), (r) => ((r?.status as { parents?: unknown[] } | undefined)?.parents?.length ?? 0) > 0);
    expect(bad?.status).toMatchObject({
      parents: [{ conditions: [{ type: 'Accepted', status: 'False', reason: 'UnsupportedValue', message: expect.stringContaining('spec.rules[0].matches[0].path.value') as unknown }, { type: 'ResolvedRefs', status: 'False' }] }],
    });
    expect(await routeNames()).not.toContain('echo-bad-r0-m0');
  });

  it('a request to a service scaled to zero is held, the Deployment is scaled up through /scale, and the request succeeds once an endpoint appears', async () => {
    const stz = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'trellis.dev/v1alpha1', kind: 'ScaleToZeroPolicy', metadata: { name, namespace: 'default' }, spec });
    kube.putDeployment({ metadata: { name: 'fn', namespace: 'default' }, spec: { replicas: 0 } });
    kube.putDeployment({ metadata: { name: 'fn-broken', namespace: 'default' }, spec: { replicas: 0 } });
    // What Kubernetes would do on a scale-up: a pod starts (here an app) and its EndpointSlice lists it, a moment later.
    kube.onScale((namespace, name, replicas) => {
      if (name !== 'fn' || replicas < 1) return;
      void startEcho('fn').then((app) => {
        apps.push(app);
        setTimeout(() => kube.putSlice(slice('fn', app.port)), 300);
      });
    });
    kube.applyCustomResource(stz('fn', { targetRef: { kind: 'Service', name: 'fn' }, idleTimeout: '1h', hold: { timeout: '20s' } }));
    kube.applyCustomResource(stz('fn-broken', { targetRef: { kind: 'Service', name: 'fn-broken' }, idleTimeout: '1h', hold: { timeout: '1s' } }));
    const holds = async () => {
      const config = (await (await fetch(`${proxy.admin}/config`)).json()) as { snapshot: { outbound: { services: { name: string; scaleFromZero?: unknown }[] } } | null };
      return (config.snapshot?.outbound.services ?? []).filter((s) => s.scaleFromZero).map((s) => s.name).sort();
    };
    await eventually(holds, (names) => names.join() === 'fn,fn-broken');

    const started = performance.now();
    const answer = await call('/', { host: 'fn' });
    const heldMs = performance.now() - started;
    console.log(`scale from zero (Kubernetes): a request to fn held ${Math.round(heldMs)} ms, then answered ${answer.status}`);
    expect(answer.status).toBe(200);
    expect(answer.name).toBe('fn');
    expect(heldMs).toBeGreaterThanOrEqual(300);
    expect(kube.scaleRequests.filter((r) => r.name === 'fn')).toEqual([{ namespace: 'default', name: 'fn', replicas: 1 }]);
    expect((kube.getDeployment('default', 'fn')?.spec as { replicas?: number } | undefined)?.replicas).toBe(1);

    // fn-broken is scaled up too, but no endpoint ever comes: after the hold time the caller gets 503 with the reason.
    const headers: Record<string, string> = { host: 'fn-broken' };
    const brokenStarted = performance.now();
    const broken = await call('/', headers);
    expect(broken.status).toBe(503);
    expect(headers['x-trellis-reason']).toBe('scale-up-timeout');
    expect(broken.text).toMatch(/fn-broken\.default is scaled to zero and had no ready endpoint within 1000 ms/);
    expect(performance.now() - brokenStarted).toBeGreaterThanOrEqual(990);
    await eventually(() => kube.scaleRequests.filter((r) => r.name === 'fn-broken'), (list) => list.length === 1);
  });

  it('scales a Deployment to zero once its service has had no request for the idle time', async () => {
    kube.putDeployment({ metadata: { name: 'idle', namespace: 'default' }, spec: { replicas: 1 } });
    kube.applyCustomResource({ apiVersion: 'trellis.dev/v1alpha1', kind: 'ScaleToZeroPolicy', metadata: { name: 'idle', namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: 'idle' }, idleTimeout: '2s' } });
    const seen = performance.now();
    await eventually(() => kube.scaleRequests.filter((r) => r.name === 'idle'), (list) => list.length > 0, 15_000);
    expect(kube.scaleRequests.filter((r) => r.name === 'idle')).toEqual([{ namespace: 'default', name: 'idle', replicas: 0 }]);
    expect(performance.now() - seen).toBeGreaterThanOrEqual(1900);
  });
});
