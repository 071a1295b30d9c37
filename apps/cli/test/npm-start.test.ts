import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/run.ts';
import { api, sleep } from './support/mesh.ts';

const DEMO_EDGES = [
  'external->frontend.default',
  'frontend.default->catalog.default',
  'frontend.default->cart.default',
  'frontend.default->reviews.default',
  'reviews.default->ratings.default',
  'cart.default->payments.default',
];

// `npm start` is `trellis up`. The dashboard part is covered by the browser tests (e2e/), which run the
// full command; here the demo mesh alone, on ports of its own, from an empty database.
describe('npm start (trellis up)', () => {
  let dir: string | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('brings up a graph with traffic on every demo edge within 30 s, and stops cleanly on Ctrl-C', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-up-'));
    const started = performance.now();
    child = spawn(
      process.execPath,
      [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'up', '--no-dashboard', '--fresh', '--data-dir', path.join(dir, 'data'), '--port', '27600', '--port-base', '27610'],
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

    let live: string[] = [];
    while (performance.now() - started < 30_000) {
      await sleep(500);
      if (!output.includes('control plane:')) continue;
      const graph = await api('http://127.0.0.1:27600').graph.get.query({ windowSeconds: 5 }).catch(() => undefined);
      live = (graph?.edges ?? []).filter((e) => e.stats.rps > 0).map((e) => e.id);
      if (DEMO_EDGES.every((e) => live.includes(e))) break;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(live.sort(), output).toEqual(expect.arrayContaining(DEMO_EDGES));
    console.log(`every demo edge live after ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(30);
    // One line per part, then where to look.
    expect(output).toMatch(/✓ control plane\s+http:\/\/127\.0\.0\.1:27600/);
    expect(output).toMatch(/✓ demo policies\s+applied .*TrafficSplit reviews/);
    expect(output).toMatch(/✓ payments\s+app :\d+, sidecar in/);
    expect(output).toMatch(/✓ traffic\s+20 requests\/s into frontend/);

    const exited = new Promise<number | null>((r) => child?.once('exit', r));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped.');
  });

  it('says which port is taken and which flag moves it', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((r) => blocker.listen(27700, '127.0.0.1', () => r()));
    try {
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'up', '--no-dashboard', '--port', '27700'], { cwd: repoRoot });
        let out = '';
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
      expect(result.code).not.toBe(0);
      expect(result.out).toContain('port 27700 (control plane) is already in use');
      expect(result.out).toContain('--port');
    } finally {
      blocker.close();
    }
  });
});
