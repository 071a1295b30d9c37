import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASES } from './support/databases.ts';
import { retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { connectTestProxy, joinToken, retryOf, sleep } from './support/stream.ts';

describe.each(DATABASES)('a control-plane restart on %s', (_name, create) => {
  it('resends nothing to proxies that already run the current config, and keeps versions monotonic', async () => {
    const db = await create();
    const first = await startTestControlPlane(db.options);
    await first.client.resources.upsert.mutate({ resource: retryPolicy('payments', 3) });
    const proxy = await connectTestProxy(first.cp.url, { service: 'frontend', instance: 'frontend-1' });
    try {
      const { snapshot } = await proxy.next((s) => retryOf(s, 'payments')?.attempts === 3);
      await first.cp.close();
      const second = await startTestControlPlane({ ...db.options, port: first.cp.port });
      try {
        // Wait for the reconnect (jittered backoff, well under 2 s at the first attempts) and for the
        // control plane to compare the version the proxy runs with the one it would send (just after hello).
        let status;
        for (let i = 0; i < 60 && !(status?.connected && status.inSync); i++) {
          await sleep(100);
          status = (await second.client.proxies.list.query()).find((p) => p.instance === 'frontend-1');
        }
        expect(status).toMatchObject({ connected: true, inSync: true, appliedVersion: snapshot.version });
        await sleep(300);
        expect(proxy.applied).toHaveLength(1);

        // The next change gets a higher version than any issued before the restart.
        const next = proxy.next((s) => retryOf(s, 'payments')?.attempts === 5);
        await second.client.resources.upsert.mutate({ resource: retryPolicy('payments', 5) });
        expect((await next).snapshot.version).toBeGreaterThan(snapshot.version);

        // Back to the content the proxy reported in its hello: it runs attempts 5 now, so the old
        // content must reach it again (a rollback after a reconnect), and it is then in sync.
        const back = proxy.next((s) => retryOf(s, 'payments')?.attempts === 3, 5000);
        await second.client.resources.upsert.mutate({ resource: retryPolicy('payments', 3) });
        await back;
        for (let i = 0; i < 50 && !status?.inSync; i++) {
          await sleep(100);
          status = (await second.client.proxies.list.query()).find((p) => p.instance === 'frontend-1');
        }
        expect(status?.inSync).toBe(true);
      } finally {
        await second.cp.close();
      }
    } finally {
      await proxy.client.close();
      await db.cleanup();
    }
  });
});

describe('a proxy that outlived its control plane database', () => {
  it('gets versions higher than the one it runs, even from a fresh database (same CA)', async () => {
    const [[, createDatabase]] = DATABASES as [[string, () => Promise<import('./support/databases.ts').TestDatabase>]];
    const oldDb = await createDatabase();
    const old = await startTestControlPlane(oldDb.options);
    for (let attempts = 2; attempts <= 6; attempts++) await old.client.resources.upsert.mutate({ resource: retryPolicy('payments', attempts) });
    // Made before the proxy connects: creating an embedded database is seconds of CPU in this process,
    // which also runs the control plane the proxy is waiting on.
    const freshDb = await createDatabase();
    const proxy = await connectTestProxy(old.cp.url, { service: 'frontend', instance: 'frontend-1' });
    try {
      const { snapshot } = await proxy.next((s) => retryOf(s, 'payments')?.attempts === 6, 15_000);
      await old.cp.close();
      // The database is new, the CA is the old one (an operator-managed CA outlives databases): the proxy
      // trusts the control plane, which knows none of the old join tokens, so the proxy gets a new one.
      const caDir = path.join(oldDb.options.dataDir, 'ca');
      const rootId = (JSON.parse(await readFile(path.join(caDir, 'state.json'), 'utf8')) as { issuingRoot: string }).issuingRoot;
      // An operator's --ca-cert: the intermediate, then the root.
      const chainFile = path.join(freshDb.options.dataDir, 'issuer-chain.pem');
      await writeFile(chainFile, `${await readFile(path.join(caDir, `${rootId}.intermediate.crt`), 'utf8')}\n${await readFile(path.join(caDir, `${rootId}.root.crt`), 'utf8')}`);
      const fresh = await startTestControlPlane({
        ...freshDb.options,
        port: old.cp.port,
        ca: { certFile: chainFile, keyFile: path.join(caDir, `${rootId}.intermediate.key`) },
      });
      proxy.useToken(await joinToken(fresh.cp.url, 'frontend'));
      try {
        const next = await proxy.next((s) => retryOf(s, 'payments') === undefined, 8000);
        expect(next.snapshot.version).toBeGreaterThan(snapshot.version);
      } finally {
        await fresh.cp.close();
      }
    } finally {
      await proxy.client.close();
      await oldDb.cleanup();
      await freshDb.cleanup();
    }
  });
});
