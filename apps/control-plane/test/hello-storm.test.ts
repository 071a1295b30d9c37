import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import type { Snapshot } from '@trellis/shared';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { joinToken, retryOf, sleep } from './support/stream.ts';

// What a control plane does when many proxies arrive at once, or change faster than one proxy applies.
const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

describe('many proxies at once', () => {
  let db: TestDatabase;
  const clients: StreamClient[] = [];
  beforeAll(async () => {
    db = await createDatabase();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await db?.cleanup();
  });

  it('a hello storm: every proxy gets its peers, each token use is counted, and a restart brings every endpoint back', async () => {
    const N = 40;
    const first = await startTestControlPlane(db.options);
    const storm: StreamClient[] = [];
    try {
      const tokens = { web: await joinToken(first.cp.url, 'web'), api: await joinToken(first.cp.url, 'api') };
      const last = new Map<number, Snapshot>();
      for (let i = 0; i < N; i++) {
        const service = i % 2 ? 'api' : 'web';
        const client = new StreamClient({
          controlPlane: first.cp.url,
          identity: { service, instance: `${service}-${i}`, proxyVersion: 'test', endpoint: { address: '127.0.0.1', port: 19000 + i } },
          credentials: tokenCredentials(tokens[service]),
          apply: (s) => void last.set(i, s),
        });
        storm.push(client);
        clients.push(client);
      }
      await Promise.all(storm.map((c) => c.start()));
      // Every web proxy ends up calling all N/2 api endpoints, all from one snapshot version.
      const apiEndpoints = (i: number) => last.get(i)?.outbound.services.find((s) => s.name === 'api')?.endpoints.length ?? 0;
      for (let t = 0; t < 100 && !Array.from({ length: N / 2 }, (_, k) => apiEndpoints(2 * k)).every((n) => n === N / 2); t++) await sleep(100);
      const webs = Array.from({ length: N / 2 }, (_, k) => last.get(2 * k));
      expect(webs.map((s) => s?.outbound.services.find((o) => o.name === 'api')?.endpoints.length)).toEqual(new Array(N / 2).fill(N / 2));
      expect(new Set(webs.map((s) => s?.version)).size).toBe(1);

      const listed = await first.client.identity.joinTokens.list.query();
      expect(listed.map((t) => [t.service, t.uses]).sort()).toEqual([
        ['api', N / 2],
        ['web', N / 2],
      ]);
      // Stopped while they are connected (not a goodbye from them): their endpoints are kept for the next start.
      await first.cp.close();
      await Promise.all(storm.map((c) => c.close()));
      const second = await startTestControlPlane(db.options);
      try {
        const services = await second.client.services.list.query();
        expect(services.find((s) => s.name === 'api')?.endpoints).toHaveLength(N / 2);
        expect(services.find((s) => s.name === 'web')?.endpoints).toHaveLength(N / 2);
      } finally {
        await second.cp.close();
      }
    } finally {
      await first.cp.close();
    }
  });

  it('a proxy slower than the changes gets only the newest snapshot once it answers, not every version in between', async () => {
    const env = await startTestControlPlane(db.options);
    try {
      const applied: number[] = [];
      const slow = new StreamClient({
        controlPlane: env.cp.url,
        identity: { service: 'slow', instance: 'slow-1', proxyVersion: 'test' },
        credentials: tokenCredentials(await joinToken(env.cp.url, 'slow')),
        apply: async (s) => {
          await sleep(400);
          applied.push(retryOf(s, 'payments')?.attempts ?? 0);
        },
      });
      clients.push(slow);
      await slow.start();
      for (let t = 0; t < 50 && applied.length === 0; t++) await sleep(100);
      applied.length = 0;
      // Eight versions while the proxy is busy with the first.
      for (let attempts = 2; attempts <= 9; attempts++) {
        await env.client.resources.upsert.mutate({ resource: retryPolicy('payments', attempts) });
        await sleep(20);
      }
      for (let t = 0; t < 50 && applied[applied.length - 1] !== 9; t++) await sleep(100);
      expect(applied[applied.length - 1]).toBe(9);
      expect(applied.length).toBeLessThanOrEqual(3);
      const status = (await env.client.proxies.list.query()).find((p) => p.instance === 'slow-1');
      expect(status?.inSync).toBe(true);
    } finally {
      await env.cp.close();
    }
  });
});
