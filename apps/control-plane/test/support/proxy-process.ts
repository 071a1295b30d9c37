import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinToken } from './stream.ts';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** The launcher rebuilds the bundle when sources changed, so the proxy run is the proxy in the tree. */
const bin = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');

export interface ProxyProcess {
  child: ChildProcess;
  outbound: string;
  admin: string;
  stop(): Promise<void>;
}

/** A real `trellis proxy` for `service` (no app), joining the control plane with a join token; resolves once it is ready. */
export async function startProxyProcess(controlPlane: string, service: string): Promise<ProxyProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `trellis-cp-proxy-${service}-`));
  const token = await joinToken(controlPlane, service);
  const child = spawn(
    process.execPath,
    [bin, 'proxy', '--service', service, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', controlPlane, '--data-dir', dataDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRELLIS_TOKEN: token } },
  );
  let out = '';
  const ready = await new Promise<{ outbound: number; admin: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy ${service} not ready in 90 s:\n${out}`)), 90_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /trellis proxy ready (\{.*\})/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as { outbound: number; admin: number });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy ${service} exited ${code}:\n${out}`));
    });
  });
  return {
    child,
    outbound: `http://127.0.0.1:${ready.outbound}`,
    admin: `http://127.0.0.1:${ready.admin}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
