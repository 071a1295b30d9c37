import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_BOOTSTRAP_TOKEN, alive, repoRoot } from './support/run.ts';
import { api, sleep } from './support/mesh.ts';

const DEMO_EDGES = [
  'loadgen.default->frontend.default',
  'frontend.default->catalog.default',
  'frontend.default->cart.default',
  'frontend.default->reviews.default',
  'reviews.default->ratings.default',
  'cart.default->payments.default',
];

/** Every process descended from `pid` (read from /proc), so the test can check nothing outlives Ctrl-C. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}


// `npm start` is `trellis up`, run here as npm start runs it (dashboard included) on ports of its own,
// from an empty database. When the dashboard needs building, that happens after the mesh is up, so the
// graph is live long before; Ctrl-C in the middle of the build must stop it too. The dashboard pages
// themselves are covered by the browser tests (e2e/), which run the same command.
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

  it('brings up a graph with traffic on every demo edge within 30 s, and Ctrl-C stops every process it started', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-up-'));
    const started = performance.now();
    child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'apps/cli/bin/trellis.mjs'), 'up', '--fresh', '--data-dir', path.join(dir, 'data'),
        '--port', '27600', '--dashboard-port', '27601', '--port-base', '27610', '--rps', '30',
      ],
      // A process group of its own, so Ctrl-C can be sent the way a terminal sends it: to the whole group.
      // The bootstrap token is given so this test can read the graph; `up` makes a random one otherwise.
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: TEST_BOOTSTRAP_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    ); // prettier-ignore
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

    let live: string[] = [];
    let locked: string[] = [];
    while (performance.now() - started < 30_000) {
      await sleep(500);
      if (!output.includes('✓ traffic')) continue;
      const graph = await api('http://127.0.0.1:27600').graph.get.query({ windowSeconds: 5 }).catch(() => undefined);
      live = (graph?.edges ?? []).filter((e) => e.stats.rps > 0).map((e) => e.id);
      locked = (graph?.edges ?? []).filter((e) => e.stats.mtlsShare === 1).map((e) => e.id);
      if (DEMO_EDGES.every((e) => live.includes(e))) break;
    }
    const seconds = (performance.now() - started) / 1000;
    expect(live.sort(), output).toEqual(expect.arrayContaining(DEMO_EDGES));
    // STRICT mutual TLS everywhere: every request on every demo edge went over mTLS.
    expect(locked.sort()).toEqual(expect.arrayContaining(DEMO_EDGES));
    console.log(`every demo edge live after ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(30);
    // One line per part, in order of coming up.
    expect(output).toMatch(/✓ control plane\s+http:\/\/127\.0\.0\.1:27600/);
    expect(output).toMatch(/✓ demo policies\s+applied .*TrafficSplit reviews/);
    expect(output).toMatch(/✓ payments\s+app :\d+, sidecar in/);
    expect(output).toMatch(/✓ ratings\s+gRPC app :\d+, sidecar in/);

    // reviews v2 calls ratings over gRPC through both sidecars: its edge counts calls by grpc-status, and
    // its routes by method.
    const grpcEdge = await api('http://127.0.0.1:27600').graph.edge.query({ source: 'reviews.default', destination: 'ratings.default', windowSeconds: 30 });
    expect(grpcEdge?.stats.grpc?.['0'] ?? 0).toBeGreaterThan(0);
    expect(grpcEdge?.routes.map((r) => r.route)).toContain('/trellis.demo.Ratings/GetRating');
    expect(output).toMatch(/✓ traffic\s+30 requests\/s into frontend/);

    // A newcomer's way in: a one-time link to the dashboard that signs in as the admin the first start
    // made (its path is the control plane's, which the dashboard passes through). It is printed here
    // only: no log file holds it, nor the bootstrap token.
    const link = /✓ sign-in link\s+http:\/\/127\.0\.0\.1:27601(\/auth\/link\?token=trl_[\w-]+)\s+\(one-time, 15 minutes: opens the dashboard as admin\)/.exec(output);
    expect(link, output).not.toBeNull();
    const signedIn = await fetch(`http://127.0.0.1:27600${link?.[1] ?? ''}`, { redirect: 'manual' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.getSetCookie().some((c) => c.startsWith('trellis_session=trs_'))).toBe(true);
    const logs = readdirSync(path.join(dir, 'logs')).map((f) => readFileSync(path.join(dir ?? '', 'logs', f), 'utf8')).join('\n');
    expect(logs).not.toContain(link?.[1]?.split('=')[1] ?? 'no link');
    expect(logs).not.toContain(TEST_BOOTSTRAP_TOKEN);

    // --rps sets the rate the graph measures at the mesh's entrance.
    let entrance = 0;
    for (let i = 0; i < 20 && !(entrance > 25 && entrance < 35); i++) {
      await sleep(500);
      const graph = await api('http://127.0.0.1:27600').graph.get.query({ windowSeconds: 5 });
      entrance = graph.edges.find((e) => e.id === 'loadgen.default->frontend.default')?.stats.rps ?? 0;
    }
    expect(entrance).toBeGreaterThan(25);
    expect(entrance).toBeLessThan(35);

    // Whatever is running now (proxies, and the dashboard or its build), Ctrl-C ends all of it. A
    // terminal's Ctrl-C reaches every process of the group at once, so the proxies and the control plane
    // stop on their own while `up` is stopping: none of that is an unexpected exit.
    const processes = descendants(child.pid ?? 0);
    expect(processes.length).toBeGreaterThanOrEqual(7);
    const exited = new Promise<number | null>((r) => child?.once('exit', r));
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited, output).toBe(0);
    expect(output).toContain('stopped.');
    expect(output).not.toContain('stopped unexpectedly');
    await sleep(200);
    expect(processes.filter(alive), output).toEqual([]);
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
