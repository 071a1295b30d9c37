import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '@trellis/shared';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** The bundle the vitest global setup builds once (scripts/vitest-global-setup.ts). */
const trellisBin = path.join(repoRoot, 'apps/cli/dist/trellis.js');

export interface ReadyInfo {
  admin: number;
  inbound?: number;
  outbound?: number;
  workloads: Array<{ service: string; namespace: string; instance: string; inbound?: number; outbound: number }>;
}

/** A `trellis proxy` child process. */
export interface ProxyProcess {
  child: ChildProcess;
  ready: ReadyInfo;
  /** http://127.0.0.1:<outbound> */
  outbound: string;
  /** http://127.0.0.1:<inbound> */
  inbound: string;
  admin: string;
  /** What the proxy wrote to stderr so far (its log). */
  log(): string;
  /** Writes a new snapshot to its config file and sends SIGHUP; resolves when /config shows the version. */
  swap(snapshot: Snapshot, waitMs?: number): Promise<void>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function tempDir(prefix = 'trellis-proxy-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function writeSnapshot(dir: string, snapshot: Snapshot, name = 'snapshot.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

export interface StartOptions {
  /** Served with --config (written to a temp file). */
  config?: Snapshot;
  service?: string;
  appPort?: number;
  args?: string[];
  /** Overrides the default port flags and --service (node-agent tests pass their own). */
  rawArgs?: string[];
  /** More environment for the process (TRELLIS_TOKEN for a proxy joining a control plane). */
  env?: Record<string, string>;
}

/** Starts a proxy and waits for its "trellis proxy ready" line. Every listener is on port 0. */
export async function startProxy(options: StartOptions = {}): Promise<ProxyProcess> {
  const dir = tempDir();
  const configFile = options.config ? writeSnapshot(dir, options.config) : undefined;
  const service = options.service ?? options.config?.service.name ?? 'client';
  const args = options.rawArgs ?? [
    '--service',
    service,
    ...(options.config && options.config.service.namespace !== 'default' ? ['--namespace', options.config.service.namespace] : []),
    '--inbound-port',
    '0',
    '--outbound-port',
    '0',
    '--admin-port',
    '0',
    ...(options.appPort !== undefined ? ['--app-port', String(options.appPort)] : []),
    ...(configFile ? ['--config', configFile] : []),
    '--data-dir',
    path.join(dir, 'data'),
  ];
  const child = spawn(process.execPath, [trellisBin, 'proxy', ...args, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TRELLIS_TOKEN: '', ...options.env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<ReadyInfo>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`proxy did not become ready in 15 s:\n${stderr}`)), 15_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('trellis proxy ready '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('trellis proxy ready '.length)) as ReadyInfo);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code} before it was ready:\n${stderr}`));
    });
  });
  const admin = `http://127.0.0.1:${ready.admin}`;
  return {
    child,
    ready,
    outbound: `http://127.0.0.1:${ready.outbound ?? ready.workloads[0]?.outbound}`,
    inbound: `http://127.0.0.1:${ready.inbound ?? ready.workloads[0]?.inbound}`,
    admin,
    log: () => stderr,
    exited,
    async swap(snapshot, waitMs = 5000) {
      if (!configFile) throw new Error('swap needs a proxy started with a config');
      writeSnapshot(dir, snapshot);
      child.kill('SIGHUP');
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        const config = (await (await fetch(`${admin}/config`)).json()) as { version: number };
        if (config.version === snapshot.version) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`snapshot ${snapshot.version} was not applied:\n${stderr}`);
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
