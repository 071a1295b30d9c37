import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot, tempDir } from './proxy.ts';

const trellisBin = path.join(repoRoot, 'apps/cli/dist/trellis.js');

/** The admin token the test control plane holds in memory; the helpers below call the API with it. */
export const BOOTSTRAP_TOKEN = 'trb_proxy-tests-bootstrap-token-0123456789';

/** A real `trellis control-plane` process with its own embedded database. */
export interface ControlPlaneProcess {
  url: string;
  /** Its data directory (the mesh CA's files are in ca/). */
  dataDir: string;
  readonly child: ChildProcess;
  /** POST /trpc/resources.apply, as the CLI and dashboard do. */
  apply(resource: unknown): Promise<void>;
  /** POST /trpc/resources.delete. */
  remove(kind: string, name: string): Promise<void>;
  /** A tRPC query (GET /trpc/<path>?input=...). */
  query<T>(procedure: string, input: unknown): Promise<T>;
  /** A join token for `service` (what `trellis token create --service` makes). */
  joinToken(service: string, namespace?: string): Promise<string>;
  /** The environment a proxy of `service` joins with: TRELLIS_TOKEN. */
  tokenEnv(service: string, namespace?: string): Promise<Record<string, string>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it (SIGKILL by default) and starts it again on the same port and data; resolves with the ms it took to listen again. */
  restart(signal?: NodeJS.Signals): Promise<number>;
}

/** A `trellis control-plane` child on `port` (0: any free one); resolves with its URL once it listens. */
async function launch(dataDir: string, port: number, args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<void> }> {
  const child = spawn(process.execPath, [trellisBin, 'control-plane', '--port', String(port), '--data-dir', dataDir, ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start in 90 s:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`control plane exited:\n${output}`)));
  });
  return { child, url, exited };
}

/** Starts one; `args` adds flags (e.g. --cert-ttl). */
export async function startControlPlane(args: string[] = []): Promise<ControlPlaneProcess> {
  const dataDir = tempDir('trellis-proxy-cp-');
  let current = await launch(dataDir, 0, args);
  const url = current.url;
  const call = async (procedure: string, body: unknown) => {
    const res = await fetch(`${url}/trpc/${procedure}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${procedure} failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { result: { data: unknown } }).result.data;
  };
  const joinToken = async (service: string, namespace = 'default') =>
    ((await call('identity.joinTokens.create', { service, namespace })) as { token: string }).token;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const { child, exited } = current;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    dataDir,
    joinToken,
    tokenEnv: async (service, namespace) => ({ TRELLIS_TOKEN: await joinToken(service, namespace) }),
    url,
    get child() {
      return current.child;
    },
    apply: async (resource) => void (await call('resources.apply', { resource })),
    remove: async (kind, name) => void (await call('resources.delete', { kind, name })),
    async query<T>(procedure: string, input: unknown) {
      const res = await fetch(`${url}/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } });
      const json = (await res.json()) as { result?: { data: T }; error?: unknown };
      if (!json.result) throw new Error(`${procedure}: ${JSON.stringify(json.error)}`);
      return json.result.data;
    },
    stop,
    async restart(signal = 'SIGKILL') {
      await stop(signal);
      const started = performance.now();
      current = await launch(dataDir, Number(new URL(url).port), args);
      return performance.now() - started;
    },
  };
}
