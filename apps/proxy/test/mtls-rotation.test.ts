import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send } from './support/load.ts';
import { BOOTSTRAP_TOKEN, startControlPlane, type ControlPlaneProcess } from './support/control-plane.ts';
import { startProxy, tempDir, type ProxyProcess } from './support/proxy.ts';
import { startUpstream, type Upstream } from './support/upstream.ts';

// Certificates live 6 s here (renewed at two thirds: every 4 s, leaving 2 s for the renewal, which takes
// milliseconds) so that five renewals and a root rotation happen within one test, under steady traffic
// through two proxies.

let cp: ControlPlaneProcess;
let app: Upstream;
let callee: ProxyProcess;
let caller: ProxyProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ConfigView {
  identity: string | null;
  certificateExpiresAt: string | null;
  trustBundleVersion: number | null;
}
const config = async (p: ProxyProcess) => (await (await fetch(`${p.admin}/config`)).json()) as ConfigView;

beforeAll(async () => {
  cp = await startControlPlane(['--cert-ttl', '6s']);
  app = await startUpstream('ok');
  const proxy = async (service: string, appPort?: number) =>
    startProxy({
      rawArgs: ['--service', service, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--data-dir', path.join(tempDir(), service),
        ...(appPort ? ['--app-port', String(appPort)] : [])], // prettier-ignore
      env: await cp.tokenEnv(service),
    });
  [callee, caller] = await Promise.all([proxy('ledger', app.port), proxy('teller')]);
  for (let i = 0; i < 200 && (await send(caller.outbound, { host: 'ledger' })).status !== 200; i++) await sleep(50);
}, 120_000);

afterAll(async () => {
  await Promise.all([caller?.stop(), callee?.stop()]);
  await cp?.stop();
  await app?.close();
});

test('five certificate renewals and one root rotation under steady traffic through two proxies: no failed request', async () => {
  let stop = false;
  const failures: string[] = [];
  let sent = 0;
  // Four clients in a loop, as fast as the proxies answer (a few hundred requests a second here).
  const load = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        sent++;
        const r = await send(caller.outbound, { host: 'ledger' }).catch((err: Error) => ({ status: 0, body: err.message, headers: {} }));
        if (r.status !== 200) failures.push(`${r.status} ${r.body.trim()}`);
      }
    }),
  );

  // Renewals: each proxy's certificate changes every ~4 s.
  const seen = { callee: new Set<string>(), caller: new Set<string>() };
  const watch = async () => {
    seen.callee.add((await config(callee)).certificateExpiresAt ?? '');
    seen.caller.add((await config(caller)).certificateExpiresAt ?? '');
  };
  const started = performance.now();
  while (seen.callee.size < 6 || seen.caller.size < 6) {
    await watch();
    if (performance.now() - started > 60_000) throw new Error(`renewals seen: callee ${seen.callee.size - 1}, caller ${seen.caller.size - 1}`);
    await sleep(200);
  }
  const before = await cp.query<{ issuingRoot: string; bundleVersion: number }>('identity.ca.status', undefined);

  // Rotation: a new root, everyone trusts it, everyone gets a certificate from it, the old root goes.
  const res = await fetch(`${cp.url}/trpc/identity.ca.rotate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP_TOKEN}` }, body: '{}' });
  expect(res.status).toBe(200);
  let status = await cp.query<{ issuingRoot: string; bundleVersion: number; roots: { id: string }[]; rotation: { phase: string; lastCompletedAt: string | null } }>('identity.ca.status', undefined);
  for (let i = 0; i < 200 && !(status.rotation.phase === 'idle' && status.rotation.lastCompletedAt); i++) {
    await sleep(100);
    status = await cp.query('identity.ca.status', undefined);
  }
  expect(status.rotation.phase).toBe('idle');
  expect(status.issuingRoot).not.toBe(before.issuingRoot);
  expect(status.roots.map((r) => r.id)).toEqual([status.issuingRoot]);
  expect(status.bundleVersion).toBe(before.bundleVersion + 2);
  // Traffic keeps flowing a while after the old root is gone.
  await sleep(2000);
  stop = true;
  await load;

  if (failures.length > 0) console.log(`failures:\n${[...new Set(failures)].slice(0, 10).join("\n")}`);
  console.log(`${sent} requests over ${((performance.now() - started) / 1000).toFixed(1)} s, ${failures.length} failed; renewals seen: ${seen.callee.size - 1} and ${seen.caller.size - 1}`);
  expect(failures, `${failures.length} of ${sent} requests failed`).toEqual([]);
  expect(sent).toBeGreaterThan(500);
  // Both proxies run certificates of the new root and trust only it.
  for (const p of [caller, callee]) {
    const c = await config(p);
    expect(c.trustBundleVersion).toBe(status.bundleVersion);
  }
  const certs = await cp.query<{ identity: string; rootId: string }[]>('identity.certificates', undefined);
  for (const identity of ['spiffe://trellis.local/ns/default/sa/ledger', 'spiffe://trellis.local/ns/default/sa/teller']) {
    expect(certs.find((c) => c.identity === identity)?.rootId).toBe(status.issuingRoot);
  }
}, 120_000);
