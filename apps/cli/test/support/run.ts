import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const bin = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');

/** The admin token test control planes hold in memory (TRELLIS_BOOTSTRAP_TOKEN); commands send it as TRELLIS_TOKEN unless told otherwise. */
export const TEST_BOOTSTRAP_TOKEN = 'trb_cli-test-bootstrap-token-0123456789';

/** A config directory of this test run's own, so `trellis login` never touches the real one. */
export const testConfigHome = mkdtempSync(path.join(os.tmpdir(), 'trellis-config-'));

/** Runs `trellis ...args` to completion, as a user would in a terminal (with TRELLIS_TOKEN set to the bootstrap token unless `env` says otherwise). */
export function trellis(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const env = { ...process.env, XDG_CONFIG_HOME: testConfigHome, TRELLIS_TOKEN: TEST_BOOTSTRAP_TOKEN, ...options.env };
    const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * `trellis control-plane` on a free port with its own PGlite directory and the test bootstrap token;
 * resolves once it listens. `output()` is everything it printed so far.
 */
export async function startControlPlaneProcess(
  given: string[] | { args?: string[]; env?: Record<string, string>; dataDir?: string } = {},
): Promise<{ url: string; child: ChildProcess; dataDir: string; output(): string; stop(options?: { keepData?: boolean }): Promise<void> }> {
  // Extra flags alone, or flags, environment and a data directory to reuse.
  const options = Array.isArray(given) ? { args: given } : given;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'trellis-cli-')));
  const child = spawn(process.execPath, [bin, 'control-plane', '--port', '0', '--data-dir', dataDir, '--endpoint-grace', '300', ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: TEST_BOOTSTRAP_TOKEN, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`control plane exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    dataDir,
    output: () => output,
    stop: async ({ keepData = false } = {}) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One `trellis control-plane` process and a scratch directory for the tests of a describe block: started
 * before them, stopped (its data removed) after. `server()` is the flag that points a command at it.
 */
export function controlPlaneForSuite() {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>> | undefined;
  let dir = '';
  beforeAll(async () => {
    cp = await startControlPlaneProcess();
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-manifests-'));
  });
  afterAll(async () => {
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const started = () => {
    if (!cp) throw new Error('the control plane is started in beforeAll');
    return cp;
  };
  return {
    get url() {
      return started().url;
    },
    get dir() {
      return dir;
    },
    server: () => ['--server', started().url],
  };
}

/** Whether a process with this pid still exists (signal 0 checks without sending anything). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
