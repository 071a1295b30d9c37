import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startControlPlane, type ControlPlaneProcess } from './support/control-plane.ts';
import { startProxy, tempDir, type ProxyProcess } from './support/proxy.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Failures with no policy written at all: three instances of `backend` (an app and its sidecar each) and
// a caller's sidecar, steady traffic, then one part dies. The safe defaults (failure accrual, one more
// try elsewhere for requests that reached no app, the sidecars' probes of their apps, a control plane
// that restarts from its last endpoints) keep what the caller sees at >= 99.9 % success.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Mesh {
  cp: ControlPlaneProcess;
  apps: Upstream[];
  sidecars: ProxyProcess[];
  caller: ProxyProcess;
}
let mesh: Mesh | undefined;

async function startMesh(): Promise<Mesh> {
  const [cp, apps] = await Promise.all([startControlPlane(), Promise.all([0, 1, 2].map((i) => startUpstream(`backend ${i}`)))]);
  const proxy = async (service: string, appPort?: number) =>
    startProxy({
      rawArgs: ['--service', service, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', path.join(tempDir(), service),
        ...(appPort ? ['--app-port', String(appPort)] : [])], // prettier-ignore
      env: await cp.tokenEnv(service),
    });
  // All four at once; the caller waits below until it has every backend endpoint.
  const [caller, ...sidecars] = await Promise.all([proxy('caller'), ...apps.map((a) => proxy('backend', a.port))]);
  mesh = { cp, apps, sidecars, caller };
  await until(async () => (await endpointsSeen(caller)) === 3, 15_000);
  return mesh;
}

/** How many backend endpoints the caller's proxy is configured with now. */
async function endpointsSeen(caller: ProxyProcess): Promise<number> {
  const config = (await (await fetch(`${caller.admin}/config`)).json()) as { snapshot?: { outbound: { services: { name: string; endpoints: unknown[] }[] } } };
  return config.snapshot?.outbound.services.find((s) => s.name === 'backend')?.endpoints.length ?? 0;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** `rps` requests per second through the caller's sidecar for `seconds`; `during(t)` runs at second t. */
async function steadyLoad(caller: ProxyProcess, rps: number, seconds: number, during: Record<number, () => Promise<unknown>>) {
  const results: { status: number; reason: string }[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const events = Object.entries(during).map(([t, run]) => ({ at: Number(t) * 1000, run, done: false }));
  for (let i = 0; i < rps * seconds; i++) {
    const due = started + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    for (const e of events) {
      if (!e.done && performance.now() - started >= e.at) {
        e.done = true;
        void e.run();
      }
    }
    pending.push(
      send(caller.outbound, { host: 'backend' }).then(
        (r) => void results.push({ status: r.status, reason: String(r.headers['x-trellis-reason'] ?? '') }),
        (err: Error) => void results.push({ status: 0, reason: err.message }),
      ),
    );
  }
  await Promise.all(pending);
  const failed = results.filter((r) => r.status !== 200);
  return { total: results.length, failed: failed.length, success: (results.length - failed.length) / results.length, reasons: [...new Set(failed.map((f) => `${f.status} ${f.reason}`))] };
}

afterEach(async () => {
  if (!mesh) return;
  await Promise.all([mesh.caller.stop(), ...mesh.sidecars.map((s) => s.stop())]);
  await mesh.cp.stop();
  await Promise.all(mesh.apps.map((a) => a.close().catch(() => undefined)));
  mesh = undefined;
});

describe('failure behaviour with no policy', () => {
  test('one of three apps dies (its sidecar stays up): >= 99.9 % success, and its endpoint leaves the service', async () => {
    const { apps, caller } = await startMesh();
    const result = await steadyLoad(caller, 200, 8, { 2: () => apps[0]?.close() ?? Promise.resolve() });
    console.log(`app killed: ${result.total - result.failed}/${result.total} succeeded${result.reasons.length ? ` (${result.reasons.join(', ')})` : ''}`);
    expect(result.success).toBeGreaterThanOrEqual(0.999);
    // The sidecar's probe told the control plane; every caller lost the endpoint.
    await until(async () => (await endpointsSeen(caller)) === 2, 5000);
  }, 90_000);

  test('one of three sidecars dies: >= 99.9 % success', async () => {
    const { sidecars, caller } = await startMesh();
    const result = await steadyLoad(caller, 200, 8, { 2: () => sidecars[0]?.stop('SIGKILL') ?? Promise.resolve() });
    console.log(`sidecar killed: ${result.total - result.failed}/${result.total} succeeded${result.reasons.length ? ` (${result.reasons.join(', ')})` : ''}`);
    expect(result.success).toBeGreaterThanOrEqual(0.999);
  }, 90_000);

  test('the control plane is killed and restarted under load: no failed request, and no caller ever loses an endpoint', async () => {
    const { cp, caller } = await startMesh();
    let fewest = 3;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        fewest = Math.min(fewest, await endpointsSeen(caller).catch(() => 3));
        await sleep(25);
      }
    })();
    let restarted: Promise<number> = Promise.resolve(0);
    const result = await steadyLoad(caller, 200, 10, {
      2: async () => {
        restarted = cp.restart('SIGKILL');
        await restarted;
      },
    });
    const restartMs = await restarted;
    // Reconnected: every proxy is back in sync with the restarted control plane.
    await until(async () => (await cp.query<{ connected: boolean; inSync: boolean }[]>('proxies.list', undefined)).filter((p) => p.connected && p.inSync).length === 4, 20_000);
    watching = false;
    await watcher;
    console.log(`control plane restarted (listening again after ${Math.round(restartMs)} ms): ${result.total - result.failed}/${result.total} succeeded; fewest backend endpoints a caller had: ${fewest}`);
    expect(result.failed).toBe(0);
    expect(fewest).toBe(3);
  }, 120_000);
});
