import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { repoRoot, startControlPlaneProcess, trellis } from './support/run.ts';
import { sleep } from './support/mesh.ts';

// The identity commands an operator uses, against a real control plane and a real proxy.
describe('trellis token, ca and check', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  let dir: string;
  let proxy: ChildProcess | undefined;
  let proxyLog = '';
  const server = () => ['--server', cp.url];

  beforeAll(async () => {
    cp = await startControlPlaneProcess();
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-identity-cli-'));
  });
  afterAll(async () => {
    proxy?.kill('SIGTERM');
    await cp?.stop();
  });

  it('creates a join token shown once, a proxy joins with it from a file, and it is listed with its use', async () => {
    const created = await trellis(['token', 'create', '--service', 'payments', '--ttl', '2h', ...server()]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{12}\.[A-Za-z0-9_-]{43}\.sha256-[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('for payments.default');
    const tokenFile = path.join(dir, 'payments.token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const dataDir = path.join(dir, 'payments');
    proxy = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'proxy', '--service', 'payments', '--app-port', '1', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--control-plane', cp.url, '--token-file', tokenFile, '--data-dir', dataDir], { cwd: repoRoot, env: { ...process.env, TRELLIS_TOKEN: '' } });
    proxy.stderr?.on('data', (d: Buffer) => (proxyLog += d.toString()));
    for (let i = 0; i < 150 && !proxyLog.includes('certificate for spiffe://trellis.local/ns/default/sa/payments installed'); i++) await sleep(100);
    expect(proxyLog).toContain('certificate for spiffe://trellis.local/ns/default/sa/payments installed');
    // Its key and certificate are kept for restarts, readable by the owner only.
    expect((await stat(path.join(dataDir, 'identity.json'))).mode & 0o777).toBe(0o600);
    const list = await trellis(['token', 'list', ...server()]);
    expect(list.stdout).toMatch(new RegExp(`${token.split('.')[0] ?? ''}\\s+payments\\.default\\s+valid\\s+\\S+\\s+1\\s`));
    expect(list.stdout).not.toContain(token.split('.')[1]);
  });

  it('refuses a token file that does not hold a join token, before starting anything', async () => {
    const bad = path.join(dir, 'bad.token');
    await writeFile(bad, 'hello');
    const r = await trellis(['proxy', '--service', 'x', '--control-plane', cp.url, '--token-file', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--token-file ${bad} does not hold a join token`);
  });

  it('checks the mesh: passes with a proxy in sync holding a certificate, fails (saying what to do) when one has none', async () => {
    let r = await trellis(['check', ...server()]);
    expect(r.stdout, r.stdout).toContain('✓ mesh CA: trust domain trellis.local');
    expect(r.stdout).toContain('✓ proxy certificates');
    expect(r.stdout).toContain('all checks passed');
    expect(r.code).toBe(0);
    // A client that joined with a token but holds no certificate (it cannot do mTLS).
    const { stdout: token } = await trellis(['token', 'create', '--service', 'bare', ...server()]);
    const bare = new StreamClient({ controlPlane: cp.url, identity: { service: 'bare', instance: 'bare-1', proxyVersion: 'test' }, apply: () => {}, credentials: tokenCredentials(token.trim()) });
    await bare.start();
    try {
      for (let i = 0; i < 100 && !bare.snapshot; i++) await sleep(50);
      r = await trellis(['check', ...server()]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('✗ proxy certificates: no certificate: bare-1');
      expect(r.stdout).toContain('→ restart those proxies');
    } finally {
      await bare.close();
    }
  });

  it('shows the CA and rotates its root with the proxy connected, showing progress until done', async () => {
    const before = await trellis(['ca', 'status', ...server()]);
    expect(before.stdout).toMatch(/trust domain: trellis\.local/);
    const oldRoot = /^(\S+) \(issuing\)/m.exec(before.stdout)?.[1];
    expect(oldRoot).toBeTruthy();
    const r = await trellis(['ca', 'rotate', ...server()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('rotation started: new root');
    expect(r.stdout).toMatch(/rotation done in \d+ s/);
    const after = await trellis(['ca', 'status', ...server()]);
    expect(after.stdout).not.toContain(oldRoot);
    expect(proxyLog).toMatch(/trust bundle version 3 installed/);
  });

  it('revokes a token: the proxy that joined with it is cut off and cannot come back', async () => {
    const list = await trellis(['token', 'list', ...server()]);
    const id = /^([0-9a-f]{12})\s+payments\.default/m.exec(list.stdout)?.[1] ?? '';
    const r = await trellis(['token', 'revoke', id, ...server()]);
    expect(r.stdout).toBe(`join token ${id} revoked; 1 proxy connection(s) closed\n`);
    for (let i = 0; i < 50 && !proxyLog.includes('was revoked'); i++) await sleep(100);
    expect(proxyLog).toMatch(/control plane refused this proxy \(unauthenticated\): .*revoked/);
  });
});
