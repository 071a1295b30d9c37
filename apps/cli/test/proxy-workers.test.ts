import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, repoRoot, startControlPlaneProcess } from './support/run.ts';
import { api, sleep, startApp, startEntryProxy, startProxy, type MeshProxy } from './support/mesh.ts';

// `trellis proxy --workers 2` against a real control plane: two worker processes share the proxy's ports,
// its one identity and its one snapshot; the primary keeps the stream and the admin port.

interface WorkerView {
  worker: number;
  pid: number | null;
  serving: boolean;
  versions: Array<number | null>;
}

/** GET on a new connection each time, so round robin hands it to the next worker. */
async function fresh(port: number, host: string) {
  // Bounded: a connection lost on its way to a worker fails here with a message, not at the test's timeout.
  const r = await request(`http://127.0.0.1:${port}/`, { headers: { host }, reset: true, headersTimeout: 10_000, bodyTimeout: 10_000 });
  await r.body.dump();
  return r.statusCode;
}

async function admin(proxy: MeshProxy, path: string) {
  return (await fetch(`http://127.0.0.1:${proxy.admin}${path}`)).text();
}

async function config(proxy: MeshProxy): Promise<{ version: number | null; workers: WorkerView[] }> {
  return JSON.parse(await admin(proxy, '/config')) as { version: number | null; workers: WorkerView[] };
}

/** trellis_proxy_worker_requests_total by worker pid. */
async function requestsByWorker(proxy: MeshProxy): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const m of (await admin(proxy, '/metrics')).matchAll(/^trellis_proxy_worker_requests_total\{worker="\d+",pid="(\d+)"\} (\d+)$/gm)) {
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

async function metric(proxy: MeshProxy, line: RegExp): Promise<number> {
  const m = line.exec(await admin(proxy, '/metrics'));
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await sleep(100);
  }
}


const FRONT_TO_BACK_200 = /^trellis_requests_total\{source_service="front\.default",destination_service="back\.default",route="default",code="200"\} (\d+)$/m;

describe('trellis proxy --workers 2', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  let front: MeshProxy;
  let back: MeshProxy;
  let vault: MeshProxy;
  const apps: Awaited<ReturnType<typeof startApp>>[] = [];
  /** Plain requests the test sent to back's inbound listener (the graph's external->back.default). */
  let toBack = 0;
  const plainToBack = () => {
    toBack++;
    return fresh(back.inbound, 'back');
  };

  /** When the proxies got their first certificates (8 s ones, --cert-ttl below). */
  let certified = 0;

  beforeAll(async () => {
    // Short certificates, so every proxy renews during the file and its workers must take the new one.
    cp = await startControlPlaneProcess(['--cert-ttl', '8s']);
    const backApp = await startApp();
    const frontApp = await startApp();
    const vaultApp = await startApp();
    apps.push(backApp, frontApp, vaultApp);
    // back also takes plain HTTP from the test (PERMISSIVE), front calls it over mutual TLS; vault takes
    // mutual TLS only (STRICT, the default).
    [back, front, vault] = await Promise.all([
      startEntryProxy(cp.url, 'back', backApp.port, ['--workers', '2']),
      startProxy(cp.url, 'front', frontApp.port, {}, ['--workers', '2']),
      startProxy(cp.url, 'vault', vaultApp.port, {}, ['--workers', '2']),
    ]);
    certified = Date.now();
    await until('front reaches back', () => fresh(front.outbound, 'back'), (s) => s === 200);
  }, 60_000);

  afterAll(async () => {
    await front?.stop();
    await back?.stop();
    await vault?.stop();
    for (const a of apps) await a.close();
    await cp?.stop();
  });

  it('serves from both workers, calls between two such proxies over mutual TLS, and shows one proxy to the control plane', async () => {
    for (let i = 0; i < 8; i++) expect(await fresh(front.outbound, 'back')).toBe(200);
    const frontWorkers = await requestsByWorker(front);
    expect(frontWorkers.size).toBe(2);
    for (const n of frontWorkers.values()) expect(n).toBeGreaterThanOrEqual(3);
    // Plain HTTP from outside reaches both of back's workers (PERMISSIVE).
    for (let i = 0; i < 8; i++) expect(await plainToBack()).toBe(200);
    const backWorkers = await requestsByWorker(back);
    expect(backWorkers.size).toBe(2);
    for (const n of backWorkers.values()) expect(n).toBeGreaterThanOrEqual(4);
    // Counted once each, by whichever worker served it: one 200 in beforeAll and eight here, no more.
    expect(await until('front counts its 9 requests to back', () => metric(front, FRONT_TO_BACK_200), (n) => n >= 9)).toBe(9);
    expect([...frontWorkers.values()].reduce((a, b) => a + b, 0)).toBe(9);

    const proxies = await api(cp.url).proxies.list.query();
    expect(proxies.filter((p) => p.service === 'back').length).toBe(1);
    expect(proxies.filter((p) => p.service === 'front').length).toBe(1);
  });

  it('leaves the join token with the primary: its workers do not inherit TRELLIS_TOKEN', async () => {
    const { workers } = await config(front);
    expect(workers).toHaveLength(2);
    const environ = async (pid: number) => (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    // The primary was started with it (test/support/mesh.ts), so a worker forked with its environment would show it.
    expect((await environ(front.child.pid ?? 0)).some((e) => e.startsWith('TRELLIS_TOKEN='))).toBe(true);
    for (const w of workers) expect((await environ(w.pid ?? 0)).some((e) => e.startsWith('TRELLIS_TOKEN='))).toBe(false);
  });

  it('a STRICT service with two workers refuses plain connections, and both workers take mutual TLS from the mesh', async () => {
    // Plain HTTP gets 403 mtls-required and a closed connection, from either worker.
    for (let i = 0; i < 4; i++) expect(await fresh(vault.inbound, 'vault')).toBe(403);
    expect(await metric(vault, /^trellis_tls_handshakes_total\{service="vault\.default",side="inbound",result="failed",reason="plaintext"\} (\d+)$/m)).toBe(4);
    // Fresh connections to front go to both of its workers; each has its own pool to vault, and parallel
    // calls open several connections there, which vault's primary hands to its workers in turn.
    await until('front reaches vault', () => fresh(front.outbound, 'vault'), (s) => s === 200);
    const calls = await Promise.all(Array.from({ length: 16 }, () => fresh(front.outbound, 'vault')));
    expect(calls.every((s) => s === 200)).toBe(true);
    const vaultWorkers = await requestsByWorker(vault);
    expect(vaultWorkers.size).toBe(2);
    for (const n of vaultWorkers.values()) expect(n).toBeGreaterThanOrEqual(1);
    expect(await metric(vault, /^trellis_tls_handshakes_total\{service="vault\.default",side="inbound",result="ok",reason=""\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    const graph = await until(
      'the graph has front->vault',
      () => api(cp.url).graph.get.query({ windowSeconds: 120 }),
      (g) => (g.edges.find((e) => e.id === 'front.default->vault.default')?.stats.requests ?? 0) >= 17,
    );
    expect(graph.edges.find((e) => e.id === 'front.default->vault.default')?.stats.mtlsShare).toBe(1);
  });

  it("sends the workers' telemetry to the control plane as one proxy's: the graph counts what /metrics counts, spans arrive", async () => {
    const traceId = 'ab'.repeat(16);
    const r = await request(`http://127.0.0.1:${front.outbound}/traced`, { headers: { host: 'back', traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` }, reset: true });
    await r.body.dump();
    const counted = async () => {
      const text = await admin(front, '/metrics');
      return [...text.matchAll(/^trellis_requests_total\{source_service="front\.default",destination_service="back\.default"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const expected = await counted();
    const graph = await until(
      'the graph counts every request the workers served',
      () => api(cp.url).graph.get.query({ windowSeconds: 120 }),
      (g) => g.edges.find((e) => e.id === 'front.default->back.default')?.stats.requests === expected,
    );
    expect(graph.edges.find((e) => e.id === 'front.default->back.default')?.stats.requests).toBe(expected);
    const trace = await until(
      'the client span (front) and server span (back) arrive',
      () => api(cp.url).traces.get.query({ traceId }).catch(() => ({ spans: [] as Array<{ kind: string; service: string }> })),
      (t) => t.spans.length >= 2,
    );
    expect(trace.spans.map((sp) => `${sp.kind} ${sp.service}`).sort()).toEqual(['client front.default', 'server back.default']);
    // A span sent twice (by a worker and again by the primary, or by two workers) would arrive later: wait
    // past the next report (every second) and count again.
    await sleep(1500);
    expect((await api(cp.url).traces.get.query({ traceId })).spans).toHaveLength(2);
  });

  it('a policy change reaches both workers', async () => {
    const before = (await config(back)).version ?? 0;
    await api(cp.url).resources.upsert.mutate({
      resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name: 'back-closed' }, spec: { targetRef: { kind: 'Service', name: 'back' }, action: 'Deny', rules: [{ from: ['*'] }] } },
    });
    const after = await until('both workers apply the new snapshot', () => config(back), (c) => (c.version ?? 0) > before && c.workers.every((w) => w.versions[0] === c.version));
    expect(after.workers.length).toBe(2);
    for (let i = 0; i < 6; i++) expect(await plainToBack()).toBe(403);
    await api(cp.url).resources.delete.mutate({ kind: 'AuthorizationPolicy', name: 'back-closed' });
    await until('the policy is gone from both workers', () => config(back), (c) => (c.version ?? 0) > (after.version ?? 0) && c.workers.every((w) => w.versions[0] === c.version));
    for (let i = 0; i < 4; i++) expect(await plainToBack()).toBe(200);
  });

  it('a killed worker loses only the requests on it, and the primary starts a new one', async () => {
    const { workers } = await config(front);
    const victim = workers[0]?.pid;
    if (!victim) throw new Error('no worker pid in /config');
    // Four callers on keep-alive connections, one request at a time each: at most four are on a worker.
    // A request stuck on a connection the killed worker never answered counts as failed after 5 s.
    const clients = Array.from({ length: 4 }, () => new Client(`http://127.0.0.1:${front.outbound}`, { headersTimeout: 5000, bodyTimeout: 5000 }));
    let stop = false;
    let ok = 0;
    let failed = 0;
    const loops = clients.map(async (client) => {
      while (!stop) {
        try {
          const r = await client.request({ path: '/', method: 'GET', headers: { host: 'back' } });
          await r.body.dump();
          if (r.statusCode === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    });
    await sleep(300);
    process.kill(victim, 'SIGKILL');
    const restarted = await until('a new worker serves', () => config(front), (c) => c.workers.every((w) => w.serving && w.pid !== victim && w.pid !== null));
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    await Promise.all(clients.map((c) => c.close()));
    expect(failed).toBeLessThanOrEqual(4);
    expect(ok).toBeGreaterThan(20);
    expect(await metric(front, /^trellis_proxy_worker_restarts_total (\d+)$/m)).toBe(1);
    // The new worker takes new connections.
    const fresher = restarted.workers.map((w) => w.pid).find((pid) => pid !== workers[1]?.pid);
    for (let i = 0; i < 4; i++) expect(await fresh(front.outbound, 'back')).toBe(200);
    expect((await requestsByWorker(front)).get(fresher ?? 0)).toBeGreaterThanOrEqual(1);

    // What /metrics says front sent to back is a counter: with no traffic, killing a worker must not take
    // its share out of the sum (Prometheus would read a reset).
    if (!fresher) throw new Error('no new worker pid in /config');
    const before = await metric(front, FRONT_TO_BACK_200);
    process.kill(fresher, 'SIGKILL');
    await until('the primary sees the worker gone', () => config(front), (c) => c.workers.every((w) => w.pid !== fresher));
    expect(await metric(front, FRONT_TO_BACK_200)).toBe(before);
  });

  it('a renewed certificate reaches every worker', async () => {
    // Past the first certificates' 8 s: each proxy renewed (at two thirds) and passed the new one on.
    const wait = certified + 9000 - Date.now();
    if (wait > 0) await sleep(wait);
    for (let i = 0; i < 4; i++) expect(await fresh(front.outbound, 'vault')).toBe(200);
    // The soonest expiry over the primary and its workers: a worker still on the first one reads below 0.
    for (const [proxy, service] of [[front, 'front'], [vault, 'vault']] as const) {
      const expiry = new RegExp(`^trellis_certificate_expiry_seconds\\{service="${service}\\.default"\\} (-?\\d+)$`, 'm');
      expect(await metric(proxy, expiry)).toBeGreaterThan(0);
    }
  });

  it('SIGTERM drains every worker and exits, and what they served just before reaches the control plane', async () => {
    const pids = (await config(back)).workers.map((w) => w.pid ?? 0);
    // Served within the last report interval: only the drain's last flush (workers, then the primary) carries them.
    for (let i = 0; i < 6; i++) expect(await plainToBack()).toBe(200);
    const exited = new Promise<number | null>((resolve) => back.child.once('exit', (code) => resolve(code)));
    back.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const counted = () => api(cp.url).graph.get.query({ windowSeconds: 120 }).then((g) => g.edges.find((e) => e.id === 'external->back.default')?.stats.requests);
    expect(await until('the graph counts every request back served', counted, (n) => n === toBack, 5000).catch(() => counted())).toBe(toBack);
  });

  it('SIGTERM while a worker is being replaced: the new one is told to drain, it never serves', async () => {
    const { workers } = await config(front);
    const victim = workers[1]?.pid;
    const slot = workers[1]?.worker;
    if (!victim) throw new Error('no worker pid in /config');
    let log = '';
    front.child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => front.child.once('exit', (code) => resolve(code)));
    process.kill(victim, 'SIGKILL');
    // SIGTERM as soon as the replacement is forked, while it is still loading (before it can hear a message).
    let replacement: number | null | undefined;
    for (let i = 0; i < 1000 && !replacement; i++) {
      replacement = (await config(front)).workers.find((w) => w.pid !== null && !workers.some((o) => o.pid === w.pid))?.pid;
      if (!replacement) await sleep(10);
    }
    if (!replacement) throw new Error('no replacement worker');
    const signalled = Date.now();
    front.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Told to drain on its hello, it leaves at once; given init, it would bind, serve and be dropped (or,
    // having missed the drain, be killed after the drain timeout, 10 s).
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(alive(replacement)).toBe(false);
    // (The other worker may apply a snapshot meanwhile: back left the mesh in the test before.)
    expect(log).not.toContain(`worker ${slot}: front.default: applied snapshot`);
  });
});

const bin = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');

/** A redis-server of this test's own, on a free port; proxyClients() counts the connections other than its own. */
async function startRedis() {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const { Redis } = await import('ioredis');
  const admin = new Redis(port, '127.0.0.1', { retryStrategy: (times) => (times > 50 ? null : 100) });
  await admin.ping();
  return {
    url: `redis://127.0.0.1:${port}`,
    async proxyClients(): Promise<number> {
      const list = String(await admin.client('LIST'));
      return list.split('\n').filter((line) => line.includes(' addr=') && !line.includes(' cmd=client')).length;
    },
    async stop() {
      admin.disconnect();
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
    },
  };
}

/** A --config file: service "a", inbound mutual TLS `mtls`, and a global rate limit through `redisUrl` if given. */
async function configFile(mtls: 'STRICT' | 'DISABLE', redisUrl?: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'trellis-workers-')), 'snapshot.json');
  const snapshot = {
    version: 1,
    digest: 'test-1',
    createdAt: new Date().toISOString(),
    service: { name: 'a', namespace: 'default' },
    inbound: {
      mtls,
      routes: [
        {
          name: 'default',
          match: {},
          policies: redisUrl ? { rateLimit: { id: 'a-global', requestsPerSecond: 100, burst: 20, key: { type: 'None' }, mode: 'Global', failureMode: 'Open' } } : {},
        },
      ],
      authorization: [],
    },
    outbound: { services: [] },
    tracing: { sampling: 0 },
    mesh: redisUrl ? { redisUrl } : {},
  };
  await writeFile(file, JSON.stringify(snapshot));
  return file;
}

/** Runs `node script` until it exits or prints `until`, killing it (and its process group) after `ms`. */
function run(args: string[], until: RegExp | undefined, ms = 10_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const finish = () => {
      clearTimeout(timer);
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      finish();
      resolve({ code: null, out });
    }, ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until?.test(out)) {
        finish();
        resolve({ code: null, out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      finish();
      resolve({ code, out });
    });
  });
}

describe('trellis proxy --workers with a --config file', () => {
  it('refuses an mTLS config it has no identity for with --workers 2, as with one process (exit 1, the reason)', async () => {
    const file = await configFile('STRICT');
    const { code, out } = await run([bin, 'proxy', '--service', 'a', '--config', file, '--app-port', '1', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--workers', '2'], /trellis proxy ready/);
    expect(out).not.toContain('trellis proxy ready');
    expect(code).toBe(1);
    expect(out).toContain('inbound.mtls is STRICT, but this proxy has no mesh identity');
  });

  it('opens no Redis connection in the primary for a global rate limit: only the two workers, which serve it, connect', async () => {
    const redis = await startRedis();
    const file = await configFile('DISABLE', redis.url);
    const child = spawn(process.execPath, [bin, 'proxy', '--service', 'a', '--config', file, '--app-port', '1', '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--workers', '2'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('trellis proxy ready') && resolve()));
        child.once('exit', () => reject(new Error(`the proxy exited: ${out}`)));
      });
      // Each worker connects when it builds its chain; a primary that built one too (it serves nothing) made a third.
      await until('both workers connect to Redis', () => redis.proxyClients(), (n) => n >= 2);
      await sleep(1000);
      expect(await redis.proxyClients()).toBe(2);
    } finally {
      child.kill('SIGKILL');
      await redis.stop();
    }
  });

  it('opens no debugger in its workers when the primary runs under --inspect', async () => {
    const file = await configFile('DISABLE');
    const { out } = await run(['--inspect=127.0.0.1:0', bin, 'proxy', '--service', 'a', '--config', file, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0', '--workers', '2'], /trellis proxy ready/);
    expect(out).toContain('trellis proxy ready');
    expect(out.match(/Debugger listening on/g)).toHaveLength(1);
  });

  it('serves as a proxy of its own when its parent is some other node:cluster primary (pm2 cluster mode)', async () => {
    const file = await configFile('DISABLE');
    const args = ['proxy', '--service', 'a', '--config', file, '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0'];
    const primary = `const c = require('node:cluster'); c.setupPrimary({ exec: ${JSON.stringify(bin)}, args: ${JSON.stringify(args)}, execArgv: [] }); c.fork();`;
    const { out } = await run(['-e', primary], /trellis proxy ready/);
    expect(out).toContain('trellis proxy ready');
  });
});
