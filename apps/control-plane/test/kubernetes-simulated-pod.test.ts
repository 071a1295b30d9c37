import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { startFakeKubernetes } from './support/fake-kubernetes.ts';
import { reviewAdmission } from '../src/kubernetes/admission-webhook.ts';
import { PROXY_CONTAINER, type Container } from '../src/kubernetes/injection.ts';

// A pod as Kubernetes would run it after the webhook injected it, simulated on this machine: the proxy
// container's args and environment, exactly as the patch wrote them, run as a real `trellis proxy`
// process beside a real app, with the projected ServiceAccount token as a file that the fake API
// server's TokenReview vouches for. Only what a node would supply is filled in: the downward-API values,
// the token file and data directory paths, and free ports instead of 15000/15001/15006 (several pods
// share this machine's network).

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];
const bin = path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'apps/cli/bin/trellis.mjs');
/** A port nothing listens on now (the kernel's pick for port 0): the pods' ports are fixed before they start. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
const freePorts = async (n: number) => {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
};
/** The app's port and each simulated pod's inbound, outbound and admin ports (chosen in beforeAll). */
const PORTS = { reviewsApp: 0, reviews: [] as number[], frontend: [] as number[], intruder: [] as number[] };

const deployment = (name: string, serviceAccount: string, appPort?: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { serviceAccountName: serviceAccount, containers: [{ name: 'app', image: `${name}:1`, ...(appPort ? { ports: [{ containerPort: appPort }] } : {}) }] },
    },
  },
});

interface SimulatedPod {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

describe('a simulated injected pod (the webhook\'s proxy container run as a local process with a ServiceAccount token)', () => {
  let kube: Awaited<ReturnType<typeof startFakeKubernetes>>;
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let app: http.Server;
  const pods: SimulatedPod[] = [];

  /** The injected proxy container of `workload`, through the webhook's patch. */
  const injectedProxy = (workload: ReturnType<typeof deployment>): Container => {
    const roots = env.cp.services.identity.ca.bundle().roots.join('\n');
    const answer = reviewAdmission({ request: { uid: workload.metadata.name, object: workload } }, { image: 'trellis/trellis:test', controlPlaneUrl: 'https://trellis-control-plane.trellis-system.svc:7400', trustRoots: roots }, true);
    const patch = JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString()) as Operation[];
    const injected = jsonpatch.applyPatch(structuredClone(workload), patch, true, false).newDocument;
    const proxy = injected.spec.template.spec.containers.find((c) => c.name === PROXY_CONTAINER) as Container | undefined;
    if (!proxy) throw new Error('no proxy container injected');
    return proxy;
  };

  /** Runs the container as a node would: its env (downward API filled in), its args with $(VAR) expanded. */
  const runPod = async (container: Container, pod: { name: string; serviceAccount: string; token: string; ports: number[] }): Promise<SimulatedPod> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `trellis-pod-${pod.name}-`));
    await writeFile(path.join(dir, 'token'), pod.token);
    const downward: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': 'shop', 'status.podIP': '127.0.0.1', 'spec.nodeName': 'node-1', 'spec.serviceAccountName': pod.serviceAccount };
    const vars: Record<string, string> = {};
    for (const e of container.env as { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]) {
      vars[e.name] = e.value ?? downward[e.valueFrom?.fieldRef.fieldPath ?? ''] ?? '';
    }
    const [inbound, outbound, admin] = pod.ports.map(String);
    const node: Record<string, string | undefined> = {
      '--service-account-token-file': path.join(dir, 'token'),
      '--data-dir': path.join(dir, 'data'),
      '--control-plane': env.cp.url,
      '--inbound-port': inbound,
      '--outbound-port': outbound,
      '--admin-port': admin,
      '--admin-address': '127.0.0.1',
    };
    const args = (container.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (_m, name: string) => vars[name] ?? ''));
    for (let i = 0; i < args.length - 1; i++) {
      const flag = args[i] ?? '';
      if (flag in node) args[i + 1] = node[flag] ?? '';
    }
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...vars, TRELLIS_TOKEN: '' } });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const simulated = {
      child,
      output: () => out,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
    pods.push(simulated);
    return simulated;
  };

  const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> => {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what} did not happen in ${ms} ms (${String(last)}):\n${pods.map((p) => p.output()).join('\n---\n')}`);
  };

  beforeAll(async () => {
    const ports = await freePorts(10);
    Object.assign(PORTS, { reviewsApp: ports[0], reviews: ports.slice(1, 4), frontend: ports.slice(4, 7), intruder: ports.slice(7, 10) });
    kube = await startFakeKubernetes();
    kube.addServiceAccountToken('token-reviews', 'shop', 'reviews');
    kube.addServiceAccountToken('token-frontend', 'shop', 'frontend');
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options, kubernetes: { kubeconfig: kube.kubeconfig } });
    app = http.createServer((req, res) => res.end(`reviews app: ${req.method} ${req.url}`));
    await new Promise<void>((r) => app.listen(PORTS.reviewsApp, '127.0.0.1', () => r()));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(pods.map((p) => p.stop()));
    app?.close();
    await env?.cp.close();
    await db?.cleanup();
    await kube?.close();
  });

  it('joins the mesh with its ServiceAccount token, gets its SPIFFE certificate and carries traffic over mTLS; a token for another ServiceAccount gets nothing', async () => {
    await runPod(injectedProxy(deployment('reviews', 'reviews', PORTS.reviewsApp)), { name: 'reviews-7d9-abc', serviceAccount: 'reviews', token: 'token-reviews', ports: PORTS.reviews });
    await runPod(injectedProxy(deployment('frontend', 'frontend')), { name: 'frontend-5f6-xyz', serviceAccount: 'frontend', token: 'token-frontend', ports: PORTS.frontend });
    // A pod whose token belongs to the frontend ServiceAccount, claiming to be reviews.
    const intruder = await runPod(injectedProxy(deployment('reviews', 'reviews', PORTS.reviewsApp)), { name: 'reviews-evil', serviceAccount: 'reviews', token: 'token-frontend', ports: PORTS.intruder });

    const connected = await until('both pods connected with certificates', async () => {
      const proxies = await env.client.proxies.list.query();
      const ok = proxies.filter((p) => p.connected && p.certificate && ['reviews-7d9-abc', 'frontend-5f6-xyz'].includes(p.instance));
      return ok.length === 2 ? proxies : undefined;
    });
    expect(connected.find((p) => p.instance === 'reviews-evil')).toBeUndefined();
    const identities = (await env.client.identity.certificates.query()).map((c) => c.identity);
    expect(identities).toEqual(expect.arrayContaining(['spiffe://trellis.local/ns/shop/sa/reviews', 'spiffe://trellis.local/ns/shop/sa/frontend']));

    // The app calls out as it would after the iptables redirect: to the outbound port, Host naming the service.
    const body = await until('a request from frontend to reviews through both proxies', async () => {
      // node:http, since fetch does not let a caller set Host.
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: PORTS.frontend[1], path: '/reviews/1', headers: { host: 'reviews' } }, (res) => {
          let data = '';
          res.on('data', (d: Buffer) => (data += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
        }).on('error', reject);
      });
      if (status !== 200) throw new Error(`${status} ${text}`);
      return text;
    });
    expect(body).toBe('reviews app: GET /reviews/1');

    await until('the intruder refused', async () => (intruder.output().includes('may not join as reviews.shop') ? true : undefined));
    expect((await env.client.proxies.list.query()).find((p) => p.instance === 'reviews-evil')).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${PORTS.intruder[2]}/ready`)).status).not.toBe(200);
  }, 280_000);
});
