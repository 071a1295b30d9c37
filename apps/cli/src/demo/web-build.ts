import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { childEnv } from '../env.ts';

function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.next' || entry.name.startsWith('.turbo')) continue;
    const full = path.join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return max;
}

/** True when apps/web has no production build, or a source it depends on is newer than the build. */
export function dashboardBuildIsStale(root: string): boolean {
  const buildId = path.join(root, 'apps/web/.next/BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return [path.join(root, 'apps/web'), path.join(root, 'packages/shared/src'), path.join(root, 'apps/control-plane/src/router')].some(
    (dir) => newest(dir) > built,
  );
}

/** True while any process of group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the dashboard's production build (next build), printing its output with a prefix. Aborting
 * `signal` stops the build: npm and next are one process group, which gets SIGTERM, then SIGKILL after
 * 5 s, and the promise settles only once every process of it is gone. The next start builds again:
 * an interrupted build leaves BUILD_ID older than the sources, so the build still counts as stale.
 */
export function buildDashboard(root: string, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new Error('next build stopped'));
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--silent', '-w', '@trellis/web'], {
      cwd: root,
      env: childEnv({ NEXT_TELEMETRY_DISABLED: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pgid = child.pid;
    const stop = () => {
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    signal?.addEventListener('abort', stop, { once: true });
    // The build is a process group of its own (so it can be stopped whole), which also means a terminal's
    // Ctrl-C or hang-up does not reach it: if this process goes, the build goes with it.
    const killOnExit = () => {
      if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    };
    process.on('exit', killOnExit);
    let tail = '';
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        tail = `${tail}\n${line}`.slice(-4000);
        log(`  next build | ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      signal?.removeEventListener('abort', stop);
      const done = (err?: Error) => {
        process.off('exit', killOnExit);
        if (err) reject(err);
        else resolve();
      };
      if (code === 0) return done();
      if (!signal?.aborted) return done(new Error(`next build failed (exit ${code}):${tail}`));
      // npm is gone; wait for the rest of its group (next and its workers), killing what lingers.
      const killAt = Date.now() + 5000;
      let killed = false;
      const wait = setInterval(() => {
        if (pgid !== undefined && groupAlive(pgid) && Date.now() < killAt + 2000) {
          if (killed || Date.now() < killAt) return;
          killed = true;
          try {
            process.kill(-pgid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
          return;
        }
        clearInterval(wait);
        done(new Error('next build stopped'));
      }, 50);
    });
  });
}
