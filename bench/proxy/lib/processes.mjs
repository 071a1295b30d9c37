// Child processes of the bench: started pinned to a core, each in its own process group so a proxy's
// workers die with it, and all of them killed on every way out (normal end, error, Ctrl-C, SIGTERM).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, createWriteStream, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const live = new Set();
let niceness = 0;

/** Every child started from now on runs at this nice value (negative needs root). */
export function setNiceness(value) {
  niceness = value;
}
// Online CPUs, not this process's affinity (run.mjs pins itself after reading this).
const cpuCount = os.cpus().length;

/**
 * The full path of a program: PATH first, then the sbin directories a non-root user's PATH often
 * lacks on Debian (nginx and haproxy live in /usr/sbin). Falls back to the bare name.
 */
export function resolveBinary(name) {
  if (name.includes('/')) return name;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {
      /* not here */
    }
  }
  return name;
}

/**
 * The cores we pin to; null when pinning makes no sense (one core, or no taskset). `peer` is the second
 * proxy of a two-hop row (the callee): its own core when there is a third, else it shares the proxy core,
 * so the load core stays the load generator's and the two proxies together get one core.
 */
export function pinningPlan() {
  if (cpuCount < 2 || !resolveBinary('taskset').includes('/')) return null;
  return { load: 0, proxy: 1, peer: cpuCount >= 3 ? 2 : 1 };
}

/**
 * Starts a command, pinned to `core` when given; output goes to `logFile`, and `onLine` (if given)
 * sees each stdout/stderr line. Returns the child; `child.lastLines` keeps the tail for error messages.
 */
export function start(command, args, { core, logFile, onLine, env, cwd } = {}) {
  if (shuttingDown) throw new Error('the bench is stopping');
  let argv = [resolveBinary(command), ...args];
  // GNU nice runs the command anyway when it may not raise priority (not root); it only warns.
  if (niceness) argv = [resolveBinary('nice'), '-n', String(niceness), ...argv];
  if (core !== undefined && core !== null) argv = [resolveBinary('taskset'), '-c', String(core), ...argv];
  const [cmd, ...rest] = argv;
  const child = spawn(cmd, rest, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, cwd });
  child.lastLines = [];
  const log = logFile ? createWriteStream(logFile) : null;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      log?.write(chunk);
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) {
          child.lastLines.push(line);
          if (child.lastLines.length > 60) child.lastLines.shift();
        }
        onLine?.(line);
      }
    });
  }
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', () => {}); // reported through `exited` / readiness timeouts
  child.exited.then(() => {
    live.delete(child);
    log?.end();
  });
  live.add(child);
  return child;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Stops one child and its process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child, graceMs = 2000) {
  if (!live.has(child)) return;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  // Workers of a killed master may linger for a moment; make sure the group is gone.
  killGroup(child, 'SIGKILL');
}

/** Stops every child still running. */
export async function stopAll() {
  await Promise.all([...live].map((c) => stop(c)));
}

/** Runs a command to completion within `timeoutMs`; resolves with its output. */
export function runToEnd(command, args, { core, timeoutMs }) {
  return new Promise((resolve) => {
    let output = '';
    const child = start(command, args, { core, onLine: (line) => (output += `${line}\n`) });
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    child.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut: signal === 'SIGKILL' });
    });
  });
}

let shuttingDown = false;

/** True once Ctrl-C (or SIGTERM/SIGHUP) arrived: no new child starts, the run winds down. */
export function isShuttingDown() {
  return shuttingDown;
}

/** Installs the handlers that make sure no child outlives the bench. */
export function installCleanup() {
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
  const onSignal = (signal) => {
    if (shuttingDown) process.exit(130);
    shuttingDown = true;
    process.stderr.write(`\n${signal}: stopping every child process...\n`);
    stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

// Ports stay below Linux's ephemeral range (32768+), so wrk's and the proxies' own client sockets can
// never have taken one between our check and the server's bind.
const FORBIDDEN = new Set([5432, 6379, 3306, 5672, 1883, 4222, 7400]);
const taken = new Set();

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free 127.0.0.1 port in 20000–32767, not handed out before in this run. */
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * (32767 - 20000));
    if (FORBIDDEN.has(port) || taken.has(port)) continue;
    if (await isFree(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 20000-32767');
}

/** Resolves when 127.0.0.1:port accepts a connection; rejects after `timeoutMs`. */
export async function waitForPort(port, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child && !live.has(child)) throw new Error(`exited before listening: ${child.lastLines.at(-1) ?? 'no output'}`);
    if (Date.now() > deadline) throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid and every descendant, read from /proc. */
function processTree(rootPid) {
  const parentOf = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 2 (comm) may contain spaces; the ppid is the second field after its closing paren.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      /* exited while we looked */
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

const CLK_TCK = 100; // USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`)

/** CPU seconds (user + system) used so far by a process and its live descendants. */
export function cpuSeconds(rootPid) {
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
    } catch {
      /* exited */
    }
  }
  return ticks / CLK_TCK;
}

/**
 * CPU seconds used by this script and everything it started: itself, its live descendants, and the
 * children it has already reaped (cutime + cstime), so a finished wrk or h2load still counts.
 */
export function ownCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return cpuSeconds(process.pid) + (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Resident memory in bytes (VmRSS) of a process and its descendants, summed. */
export function rssBytes(rootPid) {
  let kb = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      /* exited */
    }
  }
  return kb * 1024;
}

/**
 * Per-core jiffies from /proc/stat: `busy` (all but idle and iowait), `task` (user + nice + system:
 * what processes are charged; irq and softirq, where loopback packets are handled, are not), `total`.
 */
/**
 * How long a fixed integer loop takes on `core` (ms), in a process of its own pinned there. A virtual core
 * that shares its physical core with another guest's busy thread (SMT) runs slower without any steal being
 * counted; comparing this with the same loop at the start of the run shows it.
 */
export function coreLoopMs(core) {
  const loop = 'const t=process.hrtime.bigint();let x=0;for(let i=0;i<1e7;i++)x=(x*31+i)|0;process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6+(x&0)))';
  const out = spawnSync(resolveBinary('taskset'), ['-c', String(core), process.execPath, '-e', loop], { encoding: 'utf8' });
  return Number(out.stdout);
}

export function coreTimes() {
  const times = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    // steal: time the hypervisor gave this virtual core to another guest; our processes ran slower
    // without being charged for it, so it disturbs a measurement as much as another program would.
    times[m[1]] = { busy: total - idle, task: (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0), steal: v[7] ?? 0, total };
  }
  return times;
}

/** Shares (0–1) of each core between two `coreTimes()` readings: `{busy, task, steal}` per core. */
export function coreBusy(before, after) {
  const out = {};
  for (const core of Object.keys(after)) {
    const b = before[core] ?? { busy: 0, task: 0, steal: 0, total: 0 };
    const dt = after[core].total - b.total;
    out[core] = dt > 0
      ? { busy: (after[core].busy - b.busy) / dt, task: (after[core].task - b.task) / dt, steal: (after[core].steal - b.steal) / dt }
      : { busy: 0, task: 0, steal: 0 };
  }
  return out;
}
