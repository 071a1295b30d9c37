import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** The Postgres the integration tests use; each test gets its own schema in it. */
export const TEST_POSTGRES_URL = process.env.TRELLIS_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Options for openDatabase / startControlPlane: the same database every time it is called. */
  options: { databaseUrl?: string; dataDir: string };
  cleanup(): Promise<void>;
}

/** A fresh PGlite directory. */
async function pglite(): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-pglite-'));
  return { options: { dataDir }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/** A fresh schema in the test Postgres, dropped afterwards. */
async function postgres(): Promise<TestDatabase> {
  const schema = `trellis_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-unused-'));
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    options: { databaseUrl: url.toString(), dataDir },
    cleanup: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Both databases the control plane supports; storage and API tests run against each. */
export const DATABASES: [name: string, create: () => Promise<TestDatabase>][] = [
  ['PGlite', pglite],
  ['Postgres', postgres],
];
