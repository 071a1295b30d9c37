import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { repoRoot, startControlPlaneProcess } from './support/run.ts';
import { joinToken, sleep } from './support/mesh.ts';

// `trellis control-plane` takes its port and data directory from the environment too (PORT,
// TRELLIS_DATA_DIR), as a container platform sets them; flags win when both are given.
describe('trellis control-plane', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('listens on PORT and keeps its embedded database in TRELLIS_DATA_DIR, then stops on SIGTERM', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-cp-env-'));
    const dataDir = path.join(dir, 'data');
    const child = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'control-plane'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: '27810', TRELLIS_DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${output}`)), 30_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /listening on (\S+) \(database: ([^)]+)\)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    expect(listening).toContain('http://127.0.0.1:27810');
    expect(listening).toContain(dataDir);
    const health = await fetch('http://127.0.0.1:27810/healthz');
    expect(health.status).toBe(200);
    // PGlite keeps a Postgres data directory there.
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('stops on SIGTERM within seconds with proxies connected, whatever its --endpoint-grace', async () => {
    // The endpoints of the proxies it disconnects on the way out used to get their grace timer, which held
    // the process for the grace period (10 s by default: `trellis up` killed it after 8 s on every Ctrl-C).
    const cp = await startControlPlaneProcess(['--endpoint-grace', '30000']);
    const proxy = new StreamClient({
      controlPlane: cp.url,
      identity: { service: 'lingers', instance: 'lingers-1', proxyVersion: 'test', endpoint: { address: '127.0.0.1', port: 9 } },
      apply: () => undefined,
      credentials: tokenCredentials(await joinToken(cp.url, 'lingers')),
    });
    try {
      await proxy.start();
      for (let i = 0; i < 250 && !proxy.snapshot; i++) await sleep(20);
      expect(proxy.snapshot, 'the proxy joined').toBeDefined();
      const stopping = performance.now();
      await cp.stop();
      // Within `trellis up`'s 8 s, and far from the 30 s grace (a quiet machine: well under a second).
      const took = performance.now() - stopping;
      console.log(`stopped ${Math.round(took)} ms after SIGTERM`);
      expect(took).toBeLessThan(8000);
      expect(cp.child.exitCode).toBe(0);
    } finally {
      await proxy.close();
      await cp.stop();
    }
  });

  it('is the workspace bin, so `npx trellis` works from the repository root', () => {
    const r = spawnSync('npx', ['--no-install', 'trellis', '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: trellis <command>/);
    expect(r.stdout).toContain('control-plane');
  });
});
