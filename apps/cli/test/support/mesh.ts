import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import { request } from 'undici';
import type { AppRouter } from '@trellis/control-plane/router';
import { TEST_BOOTSTRAP_TOKEN, repoRoot } from './run.ts';

const bin = path.join(repoRoot, 'apps/cli/bin/trellis.mjs');

/** The control plane's API as the test bootstrap admin (or with `token`). */
export function api(url: string, token = TEST_BOOTSTRAP_TOKEN) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });
}

export interface MeshProxy {
  child: ChildProcess;
  inbound: number;
  outbound: number;
  admin: number;
  stop(): Promise<void>;
}

/** A join token for `service`, made through the API. */
export async function joinToken(cpUrl: string, service: string): Promise<string> {
  return (await api(cpUrl).identity.joinTokens.create.mutate({ service })).token;
}

/**
 * `trellis proxy` for one service, joining the control plane at `cpUrl` with a join token of its own
 * (replicas: "URL,URL,..."; the token is made through the first).
 */
export async function startProxy(cpUrl: string, service: string, appPort: number, labels: Record<string, string> = {}, args: string[] = []): Promise<MeshProxy> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `trellis-mesh-${service}-`));
  const token = await joinToken(cpUrl.split(',')[0] ?? cpUrl, service);
  const child = spawn(
    process.execPath,
    [bin, 'proxy', '--service', service, '--app-port', String(appPort), '--inbound-port', '0', '--outbound-port', '0', '--admin-port', '0',
      '--control-plane', cpUrl, '--data-dir', dataDir, '--instance', `${service}-${process.pid}`,
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), ...args],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRELLIS_TOKEN: token } },
  );
  let out = '';
  const ready = await new Promise<{ inbound: number; outbound: number; admin: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy ${service} not ready:\n${out}`)), 90_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /trellis proxy ready (\{.*\})/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as { inbound: number; outbound: number; admin: number });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`proxy ${service} exited ${code}:\n${out}`)));
  });
  // Ready to serve once its first snapshot is in (/ready on the admin port).
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://127.0.0.1:${ready.admin}/ready`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return {
    child,
    ...ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A proxy for the mesh's entrance: its service takes plain HTTP from the test (the outside world) as
 * well as mutual TLS from the mesh (a PERMISSIVE MutualTLSPolicy), like a frontend users reach directly.
 */
export async function startEntryProxy(cpUrl: string, service: string, appPort: number, args: string[] = []): Promise<MeshProxy> {
  await api(cpUrl).resources.upsert.mutate({
    resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'MutualTLSPolicy', metadata: { name: `${service}-entrance` }, spec: { targetRef: { kind: 'Service', name: service }, mode: 'PERMISSIVE' } },
  });
  return startProxy(cpUrl, service, appPort, {}, args);
}

const PROPAGATE = ['traceparent', 'tracestate', 'b3', 'x-request-id'];

/**
 * A small app: answers with `status(n)` for its n-th request, after calling `calls` through its sidecar's
 * outbound listener (set later with setOutbound), forwarding trace headers like an instrumented app.
 */
export async function startApp(options: { calls?: string[]; status?: (n: number) => number } = {}) {
  let outbound = 0;
  let served = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const n = served++;
      const headers: Record<string, string> = {};
      for (const h of PROPAGATE) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      const results: number[] = [];
      for (const service of options.calls ?? []) {
        const r = await request(`http://127.0.0.1:${outbound}/call`, { headers: { ...headers, host: service } }).catch(() => undefined);
        await r?.body.dump();
        results.push(r?.statusCode ?? 0);
      }
      const status = options.status?.(n) ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ n, calls: results }));
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    served: () => served,
    setOutbound: (port: number) => (outbound = port),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** GET through a proxy listener with the Host header naming the service (fetch() cannot set Host). */
export async function get(port: number, host: string, path = '/', headers: Record<string, string> = {}) {
  const r = await request(`http://127.0.0.1:${port}${path}`, { headers: { ...headers, host } });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
