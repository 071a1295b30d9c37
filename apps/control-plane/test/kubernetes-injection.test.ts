import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { ADMISSION_PATHS, reviewAdmission } from '../src/kubernetes/admission-webhook.ts';
import { injectPodTemplate, uninjectPodTemplate, type InjectionConfig, type PodTemplate } from '../src/kubernetes/injection.ts';

const config: InjectionConfig = { image: 'trellis/trellis:test', controlPlaneUrl: 'https://trellis-control-plane.trellis-system.svc:7400', trustRoots: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' };

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'reviews' } },
    template: {
      metadata: { labels: { app: 'reviews', version: 'v2' } },
      spec: { containers: [{ name: 'app', image: 'reviews:2', ports: [{ containerPort: 9080 }] }] },
    },
  },
});
const review = (object: unknown, uid = 'req-1') => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, namespace: 'shop', operation: 'CREATE', object } });
const patchOf = (answer: ReturnType<typeof reviewAdmission>) => (answer.response.patch ? (JSON.parse(Buffer.from(answer.response.patch, 'base64').toString()) as Operation[]) : []);

describe('sidecar injection: the admission webhook and the function behind it', () => {
  it('answers an AdmissionReview for a Deployment in a labelled namespace with the JSON patch that adds the proxy', () => {
    const answer = reviewAdmission(review(deployment()), config, true);
    expect(answer).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'req-1', allowed: true, patchType: 'JSONPatch' } });
    const patch = patchOf(answer);
    expect(patch.map((op) => `${op.op} ${op.path}`)).toEqual([
      'add /spec/template/metadata/annotations',
      'replace /spec/template/spec/containers',
      'add /spec/template/spec/initContainers',
      'add /spec/template/spec/volumes',
    ]);
    const [annotations, containers, inits, volumes] = patch as { value: unknown }[];
    expect(annotations?.value).toEqual({ 'trellis.dev/injected': 'trellis/trellis:test' });
    const [proxy, app] = containers?.value as { name: string; args: string[]; env: { name: string }[]; securityContext: Record<string, unknown>; readinessProbe: unknown }[];
    expect(app?.name).toBe('app');
    expect(proxy).toMatchObject({
      name: 'trellis-proxy',
      image: 'trellis/trellis:test',
      readinessProbe: { httpGet: { path: '/ready', port: 15000 } },
      securityContext: { runAsUser: 2102, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      resources: { requests: { cpu: '50m', memory: '64Mi' } },
    });
    // Its service from the app label, its app port from the container, its identity from the projected token.
    expect(proxy?.args.join(' ')).toContain('--service reviews --namespace $(TRELLIS_NAMESPACE) --instance $(TRELLIS_POD_NAME) --app-port 9080');
    expect(proxy?.args.join(' ')).toContain('--service-account-token-file /var/run/secrets/trellis/token');
    expect(proxy?.env.map((e) => e.name)).toEqual(['TRELLIS_POD_NAME', 'TRELLIS_NAMESPACE', 'TRELLIS_POD_IP', 'TRELLIS_NODE_NAME', 'TRELLIS_SERVICE_ACCOUNT', 'TRELLIS_CA_ROOTS']);
    expect(inits?.value).toMatchObject([{ name: 'trellis-init', securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } }]);
    const script = (inits?.value as { command: string[] }[])[0]?.command[2] ?? '';
    expect(script).toContain('--dport 9080 -j REDIRECT --to-ports 15006');
    expect(script).toContain('--uid-owner 2102 -j RETURN');
    expect(script).toContain('--dport 80 -j REDIRECT --to-ports 15001');
    expect(volumes?.value).toContainEqual({ name: 'trellis-token', projected: { sources: [{ serviceAccountToken: { audience: 'trellis', expirationSeconds: 3600, path: 'token' } }] } });
  });

  it('is idempotent: the patched Deployment gets no second patch, and injecting twice equals once', () => {
    const once = jsonpatch.applyPatch(deployment(), patchOf(reviewAdmission(review(deployment()), config, true)), true, false).newDocument;
    expect(reviewAdmission(review(once), config, true).response).toEqual({ uid: 'req-1', allowed: true });
    const template = deployment().spec.template as PodTemplate;
    const first = injectPodTemplate(template, config, { namespaceEnabled: true }).pod;
    expect(injectPodTemplate(first, config, { namespaceEnabled: true }).pod).toEqual(first);
    // And uninject takes out exactly what inject put in.
    expect(uninjectPodTemplate(first)).toEqual(template);
  });

  it('opts in by namespace label or pod annotation, out by annotation', () => {
    const pod = (annotations?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cart-1', labels: { app: 'cart' }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: 'app', image: 'cart' }] } });
    expect(patchOf(reviewAdmission(review(pod()), config, false))).toEqual([]);
    expect(patchOf(reviewAdmission(review(pod({ 'trellis.dev/inject': 'enabled' })), config, false))).not.toEqual([]);
    expect(patchOf(reviewAdmission(review(pod({ 'trellis.dev/inject': 'disabled' })), config, true))).toEqual([]);
    // A pod without a port only calls out: no inbound redirect, no --app-port.
    const patch = patchOf(reviewAdmission(review(pod()), config, true));
    const containers = patch.find((op) => op.path === '/spec/containers') as { value: { args: string[] }[] } | undefined;
    expect(containers?.value[0]?.args).not.toContain('--app-port');
  });

  it('refuses a pod whose annotation is wrong, naming the field, rather than start it without its proxy', () => {
    const bad = deployment();
    (bad.spec.template.metadata as Record<string, unknown>).annotations = { 'trellis.dev/app-port': 'http' };
    expect(reviewAdmission(review(bad), config, true).response).toEqual({
      uid: 'req-1',
      allowed: false,
      status: { code: 400, message: 'trellis: metadata.annotations["trellis.dev/app-port"]: "http" is not a port (1-65535)' },
    });
  });
});

describe('the admission webhook served by the control plane', () => {
  const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  beforeAll(async () => {
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options, injector: { image: 'trellis/trellis:test', controlPlaneUrl: config.controlPlaneUrl } });
  });
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
  });

  const post = (path: string, body: unknown, ca: string[]) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(path, env.cp.url.replace('http:', 'https:'));
      const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  it('answers over TLS with a certificate the mesh root (the caBundle) vouches for, with the roots of the CA in the proxy', async () => {
    const bundle = (await (await fetch(`${env.cp.url}/v1/trust-bundle`)).json()) as { roots: string[] };
    const { status, body } = await post(ADMISSION_PATHS.namespace, review(deployment(), 'req-tls'), bundle.roots);
    expect(status).toBe(200);
    const answer = JSON.parse(body) as ReturnType<typeof reviewAdmission>;
    expect(answer.response).toMatchObject({ uid: 'req-tls', allowed: true, patchType: 'JSONPatch' });
    const containers = patchOf(answer).find((op) => op.path === '/spec/template/spec/containers') as { value: { env: { name: string; value?: string }[] }[] };
    expect(containers.value[0]?.env.find((e) => e.name === 'TRELLIS_CA_ROOTS')?.value).toBe(bundle.roots.join('\n'));
    // The pod hook (namespace not labelled): the same Deployment is left alone.
    const byPod = JSON.parse((await post(ADMISSION_PATHS.pod, review(deployment(), 'req-pod'), bundle.roots)).body) as ReturnType<typeof reviewAdmission>;
    expect(byPod.response).toEqual({ uid: 'req-pod', allowed: true });
  });

  it('is not served in the clear, and says what is wrong with a body that is not an AdmissionReview', async () => {
    const plain = await fetch(`${env.cp.url}${ADMISSION_PATHS.namespace}`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(426);
    const bundle = (await (await fetch(`${env.cp.url}/v1/trust-bundle`)).json()) as { roots: string[] };
    const bad = await post(ADMISSION_PATHS.namespace, { kind: 'Nope' }, bundle.roots);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('request.uid: not an AdmissionReview');
  });
});
