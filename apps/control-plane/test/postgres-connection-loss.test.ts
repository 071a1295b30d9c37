import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from './support/databases.ts';
import { freshPostgresDatabase } from './support/fresh-postgres.ts';
import { retryPolicy, startTestControlPlane } from './support/control-plane.ts';
import { sleep } from './support/stream.ts';

// Postgres ends connections for its own reasons: a restart, a failover, an administrator's
// pg_terminate_backend, an idle timeout in a pooler. An idle pooled connection that dies must cost the
// control plane nothing but a log line (node-postgres raises it on the pool, and an unheard pool error
// is an uncaught exception: the whole control plane would exit).
describe('Postgres ends the control plane connections', () => {
  it('logs it, keeps running and answers from new connections', async () => {
    const database = await freshPostgresDatabase();
    const logs: string[] = [];
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-pg-loss-'));
    const env = await startTestControlPlane({ databaseUrl: database.url, dataDir, log: (line) => void logs.push(line) });
    try {
      await env.client.resources.upsert.mutate({ resource: retryPolicy('payments', 2) });
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      const { rows } = await admin.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [new URL(database.url).pathname.slice(1)],
      );
      await admin.end();
      expect(rows.filter((r) => r.ended).length).toBeGreaterThan(0);
      await sleep(300);

      expect(logs.some((l) => /a pooled Postgres connection failed while idle/.test(l))).toBe(true);
      await env.client.resources.upsert.mutate({ resource: retryPolicy('payments', 3) });
      const got = await env.client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' });
      expect(got.spec).toMatchObject({ attempts: 3 });
    } finally {
      await env.cp.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
