import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations, readMigrations, type Migration, type SqlRunner } from './migrate.ts';

export type Database = PrismaClient;

export interface OpenedDatabase {
  prisma: PrismaClient;
  /** "pglite <dir>" or "postgres <host/db>", for logs. */
  description: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A postgres:// URL; without it, PGlite keeps the database in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  migrationsDir?: string;
  log?: (line: string) => void;
}

/** prisma/migrations, found by walking up from this file (works from src/ and from a bundle in dist/). */
export function findMigrationsDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`prisma/migrations not found above ${from}`);
  }
}

/** Opens the database, applies pending migrations, and returns a Prisma client on it. */
export async function openDatabase(options: OpenOptions): Promise<OpenedDatabase> {
  const migrations = await readMigrations(options.migrationsDir ?? findMigrationsDir());
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, migrations, options.log)
    : openPGlite(options.dataDir, migrations, options.log);
}

// The embedded database is small: a smaller buffer pool keeps the control plane's memory down.
const PGLITE_CONF = ['shared_buffers=16MB'];

/**
 * A freshly initialised PGlite data directory, made once per machine and PGlite version in a
 * short-lived child process (initdb's WebAssembly memory, several hundred MB, can never be given back
 * by the process that ran it) and copied for every new database: a fresh start costs a copy, not an initdb.
 */
async function pgliteTemplate(log?: (l: string) => void): Promise<string> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@electric-sql/pglite');
  const { version } = JSON.parse(await readFile(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  const template = path.join(os.tmpdir(), `trellis-pglite-template-${version}`);
  if (existsSync(path.join(template, 'PG_VERSION'))) return template;
  log?.('initialising the embedded database (once per machine)');
  const staging = `${template}.${process.pid}.${Date.now()}`;
  const script = `const { PGlite } = await import(${JSON.stringify(pathToFileURL(entry.replace(/\.cjs$/, '.js')).href)});
    const db = await PGlite.create(${JSON.stringify(staging)}, { postgresqlconf: ${JSON.stringify(PGLITE_CONF)} });
    await db.close();`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 });
  try {
    await rename(staging, template);
  } catch {
    // Another process finished its template first; theirs is as good.
    await rm(staging, { recursive: true, force: true });
  }
  return template;
}

/**
 * The initdb template with every migration applied, made once per machine, PGlite version and set of
 * migrations, and copied for each new database: a fresh control plane (`npm start -- --fresh`, each
 * test) then starts from a copy instead of replaying every migration (most of its start-up CPU). It is
 * made in this process from a copy of the initdb template, closed before the real database opens.
 */
async function migratedTemplate(migrations: readonly Migration[], log?: (l: string) => void): Promise<string> {
  const initdb = await pgliteTemplate(log);
  const key = createHash('sha256').update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n')).digest('hex').slice(0, 16);
  const template = `${initdb}-migrated-${key}`;
  if (existsSync(path.join(template, 'PG_VERSION'))) return template;
  const staging = `${template}.${process.pid}.${Date.now()}`;
  await cp(initdb, staging, { recursive: true });
  const db = await PGlite.create(staging, { postgresqlconf: PGLITE_CONF });
  try {
    await applyMigrations(sqlRunner(db), migrations, log);
  } finally {
    await db.close();
  }
  try {
    await rename(staging, template);
  } catch {
    // Another process finished its template first; theirs is as good.
    await rm(staging, { recursive: true, force: true });
  }
  // Templates of older migration sets are of no further use.
  const dir = path.dirname(initdb);
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(`${path.basename(initdb)}-migrated-`) && !entry.startsWith(path.basename(template))) {
      await rm(path.join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return template;
}

async function initPGliteDir(dataDir: string, migrations: readonly Migration[], log?: (l: string) => void): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const template = await migratedTemplate(migrations, log);
  log?.(`creating the embedded database in ${dataDir}`);
  await cp(template, dataDir, { recursive: true });
}

function sqlRunner(pglite: PGlite): SqlRunner {
  return {
    query: async (sql, params) => pglite.query(sql, params),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
  };
}

async function openPGlite(dataDir: string, migrations: Awaited<ReturnType<typeof readMigrations>>, log?: (l: string) => void) {
  await mkdir(dataDir, { recursive: true });
  let pglite: PGlite;
  try {
    await initPGliteDir(dataDir, migrations, log);
    pglite = await PGlite.create(dataDir, { postgresqlconf: PGLITE_CONF });
  } catch (err) {
    throw new Error(
      `cannot open the embedded database in ${dataDir} (${(err as Error).message}); ` +
        'is another control plane using it? The embedded database serves one control plane: stop the other, or pass a different --data-dir; to run several replicas, give them one Postgres (DATABASE_URL)',
    );
  }
  const runner = sqlRunner(pglite);
  // Prisma's query compiler (WebAssembly) loads while the migrations are checked: most of a second of
  // start-up that would otherwise come after them, with the first query.
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const connected = prisma.$connect();
  try {
    await applyMigrations(runner, migrations, log);
  } finally {
    await connected.catch(() => undefined);
  }
  return {
    prisma,
    description: `embedded PGlite in ${dataDir}`,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/** Splits Prisma's `?schema=` out of a URL: node-postgres does not know it. */
export function parseDatabaseUrl(url: string): { connectionString: string; schema?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), ...(schema ? { schema } : {}) };
}

async function openPostgres(url: string, migrations: Awaited<ReturnType<typeof readMigrations>>, log?: (l: string) => void) {
  const { connectionString, schema } = parseDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  const target = `${new URL(connectionString).host}${new URL(connectionString).pathname}${schema ? ` (schema ${schema})` : ''}`;
  // An idle pooled connection that Postgres ends (restart, failover, pg_terminate_backend) is raised on the
  // pool, and an unheard pool error is an uncaught exception. Prisma's adapter listens only while connected,
  // so one ended during close() took the whole process down; this listener lives as long as the pool.
  pool.on('error', (err) => log?.(`database: a pooled Postgres connection failed while idle (${err.message}); it is dropped and a new one opens when needed`));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end();
    throw new Error(`cannot connect to Postgres at ${target}: ${(err as Error).message}; check DATABASE_URL and that the server is running`);
  }
  // As with PGlite: Prisma's query compiler loads while the migrations are checked.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, schema ? { schema } : undefined) });
  const connected = prisma.$connect();
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema.replaceAll('"', '""')}"`);
    const runner: SqlRunner = {
      query: async (sql, params) => {
        const result = await client.query(sql, params);
        return { rows: result.rows as never[] };
      },
      exec: async (sql) => {
        await client.query(sql);
      },
    };
    await applyMigrations(runner, migrations, log);
  } finally {
    client.release();
    await connected.catch(() => undefined);
  }
  return {
    prisma,
    description: `Postgres at ${target}`,
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}
