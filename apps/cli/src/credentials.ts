import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseJoinToken } from '@trellis/shared';
import { cliEnv } from './env.ts';

/** What `trellis login` keeps for one control plane. */
export interface SavedLogin {
  token: string;
  user: string;
  savedAt: string;
}

interface CredentialsFile {
  servers: Record<string, SavedLogin>;
}

/** The file tokens are kept in, readable by its owner only (0600, in a 0700 directory). */
export function credentialsFile(): string {
  return path.join(cliEnv.configDir, 'credentials.json');
}

async function read(): Promise<CredentialsFile> {
  try {
    const parsed = JSON.parse(await readFile(credentialsFile(), 'utf8')) as Partial<CredentialsFile>;
    return { servers: parsed.servers ?? {} };
  } catch {
    return { servers: {} };
  }
}

async function write(file: CredentialsFile): Promise<void> {
  await mkdir(cliEnv.configDir, { recursive: true, mode: 0o700 });
  const target = credentialsFile();
  const staging = `${target}.${process.pid}`;
  // Created 0600 before anything is written to it, then renamed over the old file.
  await writeFile(staging, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(staging, 0o600);
  await rename(staging, target);
}

/**
 * The token to send to `server`: TRELLIS_TOKEN, else the one `trellis login` saved for it. A join token
 * in TRELLIS_TOKEN (set for `trellis proxy` in the same shell) is a proxy's, not an API credential.
 */
export async function tokenFor(server: string): Promise<string | undefined> {
  const fromEnv = cliEnv.token && !parseJoinToken(cliEnv.token) ? cliEnv.token : undefined;
  return fromEnv ?? (await read()).servers[server]?.token;
}

export async function savedLogin(server: string): Promise<SavedLogin | undefined> {
  return (await read()).servers[server];
}

export async function saveLogin(server: string, login: { token: string; user: string }): Promise<void> {
  const file = await read();
  file.servers[server] = { ...login, savedAt: new Date().toISOString() };
  await write(file);
}

/** Forgets the token for `server`; true when there was one. */
export async function forgetLogin(server: string): Promise<boolean> {
  const file = await read();
  if (!file.servers[server]) return false;
  delete file.servers[server];
  await write(file);
  return true;
}
