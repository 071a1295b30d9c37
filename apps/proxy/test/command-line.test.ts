import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { repoRoot } from './support/proxy.ts';

/** Runs `trellis proxy ...args` to its end. */
function trellisProxy(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/dist/trellis.js'), 'proxy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test.each([
  { args: [], message: '--service is required' },
  { args: ['--service', 'a', '--inbound-port', 'eighty'], message: '--inbound-port: "eighty" is not a port number' },
  { args: ['--workload', 'service=a,colour=blue'], message: 'unknown key "colour"' },
  { args: ['--workload', 'app-port=80'], message: 'service= is required' },
  { args: ['--workload', 'service=a', '--app-port', '80'], message: '--app-port cannot be combined with --workload' },
  { args: ['--service', 'a', '--label', 'novalue'], message: '--label: "novalue" is not key=value' },
  { args: ['--service', 'a', '--workers', '0'], message: '--workers: "0" is not a number of processes (1 to 64)' },
])('bad flags are refused with a message and exit 2: $message', async ({ args, message }) => {
  const { code, stderr } = await trellisProxy(args);
  expect(code).toBe(2);
  expect(stderr).toContain(message);
});

test('a config file that is missing or not a snapshot stops the proxy with the reason', async () => {
  const missing = await trellisProxy(['--service', 'a', '--config', '/nonexistent/snapshot.json', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('cannot read config file');
  const notSnapshot = await trellisProxy(['--service', 'a', '--config', path.join(repoRoot, 'package.json'), '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0']);
  expect(notSnapshot.code).toBe(1);
  expect(notSnapshot.stderr).toContain('is not a valid snapshot');
});
