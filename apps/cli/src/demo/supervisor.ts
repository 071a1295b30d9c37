import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { childEnv } from '../env.ts';

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
}

/**
 * Starts the processes `trellis up` runs, keeps each one's output in its own log file, and stops them
 * all (SIGTERM, then SIGKILL after a grace period) when asked or when one of them dies.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  onUnexpectedExit: (child: Child, code: number | null) => void = () => {};

  constructor(private readonly logDir: string) {}

  /** Spawns a process and resolves once `ready` matches its output (or rejects when it exits first). */
  async start(
    name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs?: number },
  ): Promise<{ child: Child; match: RegExpMatchArray }> {
    // Ctrl-C may come while the start sequence is still running: nothing new starts after it.
    if (this.stopping) throw new Error(`not starting ${name}: stopping`);
    await mkdir(this.logDir, { recursive: true });
    const logFile = path.join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'w' });
    const proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const child: Child = { name, process: proc, logFile };
    this.children.push(child);
    // Stopping began while this one was being spawned: it goes at once (stopAll waits for it too).
    if (this.stopping) proc.kill('SIGTERM');
    let output = '';
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not become ready within ${(options.timeoutMs ?? 60_000) / 1000} s; see ${logFile}`)),
        options.timeoutMs ?? 60_000,
      );
      const onData = (d: Buffer) => {
        log.write(d);
        if (output.length < 64_000) output += d.toString();
        const m = options.ready.exec(output);
        if (m) {
          clearTimeout(timer);
          proc.stdout?.off('data', onData);
          proc.stderr?.off('data', onData);
          proc.stdout?.on('data', (x: Buffer) => log.write(x));
          proc.stderr?.on('data', (x: Buffer) => log.write(x));
          resolve(m);
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        const tail = output.trim().split('\n').slice(-5).join('\n  ');
        reject(new Error(`${name} exited (code ${code}) before it was ready:\n  ${tail}\n  (full log: ${logFile})`));
      });
    });
    proc.once('exit', (code) => {
      log.end();
      if (!this.stopping && this.children.includes(child)) this.onUnexpectedExit(child, code);
    });
    return { child, match };
  }

  /** Stops one process on purpose (SIGTERM, SIGKILL after `graceMs`): its exit is not unexpected. */
  async stop(child: Child, graceMs = 8000): Promise<void> {
    const p = child.process;
    const i = this.children.indexOf(child);
    if (i !== -1) this.children.splice(i, 1);
    await terminate(p, graceMs);
  }

  /** From now on exits are expected and nothing new starts (call before anything slow on the way out). */
  markStopping(): void {
    this.stopping = true;
  }

  /** Stops every process, newest first, waiting up to `graceMs` before killing; again for any started meanwhile. */
  async stopAll(graceMs = 8000): Promise<void> {
    this.stopping = true;
    for (;;) {
      const live = this.children.filter((c) => c.process.exitCode === null && c.process.signalCode === null).reverse();
      if (live.length === 0) return;
      for (const { process: p } of live) await terminate(p, graceMs);
    }
  }

  /** Kills every process at once (a second Ctrl-C: the user does not want to wait). */
  killAll(): void {
    this.stopping = true;
    for (const { process: p } of this.children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (at once if it already is). */
async function terminate(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
