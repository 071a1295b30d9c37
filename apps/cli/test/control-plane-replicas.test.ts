import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../control-plane/test/support/fresh-postgres.ts';
import { startControlPlaneProcess } from './support/run.ts';
import { api, get, sleep, startApp, startProxy, type MeshProxy } from './support/mesh.ts';

const CA_SECRET = 'cli-test-ca-secret-0123456789-abcdefghijkl';
/** Ports of this test's control planes (their own range, not the npm start defaults). */
const PORTS = [26011, 26012, 26013];

/** Which control plane (by URL) holds the proxy of `instance` now, if any. */
async function holderOf(urls: string[], instance: string): Promise<string | undefined> {
  for (const url of urls) {
    const list = await api(url).proxies.list.query().catch(() => []);
    if (list.some((p) => p.instance === instance && p.connected)) return url;
  }
  return undefined;
}

// Three `trellis control-plane` processes on one Postgres, two real proxies given all three addresses.
describe('control-plane replicas: one killed, traffic goes on', () => {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let replicas: Awaited<ReturnType<typeof startControlPlaneProcess>>[] = [];
  const proxies: MeshProxy[] = [];
  const apps: Awaited<ReturnType<typeof startApp>>[] = [];

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    replicas = await Promise.all(
      PORTS.map((port) =>
        startControlPlaneProcess({ args: ['--port', String(port), '--endpoint-grace', '5000'], env: { DATABASE_URL: database.url, TRELLIS_CA_SECRET: CA_SECRET } }),
      ),
    );
  }, 300_000);

  afterAll(async () => {
    for (const p of proxies) await p.stop();
    for (const a of apps) await a.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await database?.drop();
  }, 120_000);

  it('moves the proxies of a SIGKILLed replica to the others with 0 failed requests, and they get changes there', async () => {
    const urls = replicas.map((r) => r.url);
    const back = await startApp();
    const front = await startApp();
    apps.push(back, front);
    const backProxy = await startProxy(urls.join(','), 'back', back.port);
    const frontProxy = await startProxy(urls.join(','), 'front', front.port);
    proxies.push(backProxy, frontProxy);
    // front's proxy reaches back through the mesh (mTLS between the proxies).
    const deadline = Date.now() + 30_000;
    while ((await get(frontProxy.outbound, 'back').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) throw new Error('front never reached back');
      await sleep(200);
    }

    // Steady traffic from front to back, four at a time, for the whole test.
    let sent = 0;
    const failures: string[] = [];
    let running = true;
    const workers = Array.from({ length: 4 }, async () => {
      while (running) {
        sent++;
        const r = await get(frontProxy.outbound, 'back', '/x').catch((err: Error) => ({ status: 0, body: err.message }));
        if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        await sleep(20);
      }
    });

    await sleep(1500);
    const victim = await holderOf(urls, `front-${process.pid}`);
    expect(victim).toBeDefined();
    const index = urls.indexOf(victim ?? '');
    replicas[index]?.child.kill('SIGKILL');
    const killedAt = Date.now();
    const survivors = urls.filter((u) => u !== victim);

    // front's proxy is connected to a surviving replica soon after.
    let movedTo: string | undefined;
    const moveDeadline = Date.now() + 20_000;
    while (!movedTo && Date.now() < moveDeadline) {
      movedTo = await holderOf(survivors, `front-${process.pid}`);
      if (!movedTo) await sleep(200);
    }
    expect(movedTo).toBeDefined();
    const movedAfter = Date.now() - killedAt;
    // Past the endpoint grace: back's endpoint must still be there (held by whichever replica back is on).
    await sleep(7000);
    running = false;
    await Promise.all(workers);
    expect(sent).toBeGreaterThan(100);
    expect(failures).toEqual([]);

    // A change through the other survivor reaches front's proxy on its new replica within 1 s.
    const other = survivors.find((u) => u !== movedTo) ?? survivors[0] ?? '';
    const started = Date.now();
    await api(other).resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'RetryPolicy', metadata: { name: 'back-retry' }, spec: { targetRef: { kind: 'Service', name: 'back' }, attempts: 5 } },
    });
    let took = Infinity;
    while (Date.now() - started < 10_000) {
      const config = await (await fetch(`http://127.0.0.1:${frontProxy.admin}/config`)).text();
      if (/"attempts":\s*5\b/.test(config)) {
        took = Date.now() - started;
        break;
      }
      await sleep(20);
    }
    console.log(`replicas: ${sent} requests, ${failures.length} failed; front's proxy on another replica ${movedAfter} ms after the kill; a change reached it in ${took} ms`);
    // The goal is 1 s (measured about 1 s on a machine with load average 40); the test allows for a busier one.
    expect(took).toBeLessThan(3000);
  }, 300_000);
});
