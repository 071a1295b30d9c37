import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { startFakeKubernetes } from './support/fake-kubernetes.ts';
import { clockSkewCheck, clusterChecks } from '../src/kubernetes/cluster-checks.ts';
import { customResourceDefinitions } from '../src/kubernetes/crds.ts';
import { createInstallCa } from '../src/kubernetes/install-ca.ts';

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];
const webhook = (root: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name: 'trellis-proxy-injector' },
  webhooks: [{ name: 'namespace.inject.trellis.dev', clientConfig: { caBundle: Buffer.from(root).toString('base64'), service: { name: 'trellis-control-plane', namespace: 'trellis-system' } }, admissionReviewVersions: ['v1'], sideEffects: 'None' }],
});

describe('trellis check --kubernetes (against the fake API server)', () => {
  let kube: Awaited<ReturnType<typeof startFakeKubernetes>>;
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  beforeAll(async () => {
    kube = await startFakeKubernetes();
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options });
  }, 60_000);
  afterAll(async () => {
    await env?.cp.close();
    await db?.cleanup();
    await kube?.close();
  });

  const byName = (checks: Awaited<ReturnType<typeof clusterChecks>>) => Object.fromEntries(checks.map((c) => [c.name, c]));

  it('before install: the API answers with its version; an unreachable API says what to do', async () => {
    expect(await clusterChecks({ kubeconfig: kube.kubeconfig, namespace: 'trellis-system', pre: true })).toEqual([
      { name: 'Kubernetes API', status: 'ok', detail: `${kube.url} answers, version v1.31.2` },
      { name: 'clock skew (API server)', status: 'ok', detail: 'within 5 s of the API server (Date header)' },
    ]);
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/trellis-kc-');
    await writeFile(`${dir}/config`, 'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\ncurrent-context: x\n');
    const [down] = await clusterChecks({ kubeconfig: `${dir}/config`, namespace: 'trellis-system' });
    expect(down).toMatchObject({ name: 'Kubernetes API', status: 'fail', fix: expect.stringContaining('kubeconfig') });
  });

  it('clock skew against the API server (its Date header): a warning past 5 s, a failure past 4 minutes, each saying what to do', async () => {
    const skew = async () => (await clusterChecks({ kubeconfig: kube.kubeconfig, namespace: 'trellis-system', pre: true }))[1];
    try {
      kube.setClockOffset(-30_000);
      expect(await skew()).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^this machine is (29|30|31)\.\d s ahead of the API server/) as unknown, fix: expect.stringContaining('NTP') as unknown });
      kube.setClockOffset(10 * 60_000);
      expect(await skew()).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^this machine is (599|600|601)\.\d s behind the API server: certificates are dated 5 minutes back/) as unknown, fix: expect.stringContaining('NTP') as unknown });
    } finally {
      kube.setClockOffset(0);
    }
    expect(clockSkewCheck(undefined, Date.now())).toMatchObject({ status: 'warn', detail: expect.stringContaining('no usable Date header') as unknown });
  });

  it('after install: missing or stale CRDs, an unready control plane and a missing webhook fail with the fix; then all pass', async () => {
    let checks = byName(await clusterChecks({ kubeconfig: kube.kubeconfig, namespace: 'trellis-system', controlPlaneUrl: env.cp.url }));
    expect(checks.CRDs).toMatchObject({ status: 'fail', detail: expect.stringContaining('not installed: services.trellis.dev'), fix: 'trellis install | kubectl apply -f - (or kubectl apply -f deploy/crds)' });
    expect(checks['control plane']).toMatchObject({ status: 'fail', detail: 'no Deployment trellis-control-plane in trellis-system' });
    expect(checks['sidecar injector']).toMatchObject({ status: 'fail', detail: 'no MutatingWebhookConfiguration trellis-proxy-injector' });

    const crds = customResourceDefinitions();
    for (const crd of crds) kube.putInstalled(crd);
    const [first] = crds;
    if (!first) throw new Error('no CRDs');
    kube.putInstalled({ ...first, metadata: { ...first.metadata, labels: { ...first.metadata.labels, 'trellis.dev/crd-schema': '00000000' } } });
    kube.putDeployment({ metadata: { name: 'trellis-control-plane', namespace: 'trellis-system' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } } as never);
    // A caBundle from another CA: the API server could not trust the control plane's certificate.
    kube.putInstalled(webhook((await createInstallCa('trellis.local')).root));
    checks = byName(await clusterChecks({ kubeconfig: kube.kubeconfig, namespace: 'trellis-system', controlPlaneUrl: env.cp.url }));
    expect(checks.CRDs).toMatchObject({ status: 'fail', detail: `older than this trellis: ${first.metadata.name}` });
    expect(checks['control plane']).toMatchObject({ status: 'ok', detail: '1 of 1 replicas ready in trellis-system' });
    expect(checks['sidecar injector']).toMatchObject({ status: 'fail', fix: expect.stringContaining('same install') });

    kube.putInstalled(first);
    const [root] = env.cp.services.identity.ca.bundle().roots;
    kube.putInstalled(webhook(root ?? ''));
    const all = await clusterChecks({ kubeconfig: kube.kubeconfig, namespace: 'trellis-system', controlPlaneUrl: env.cp.url });
    expect(all.map((c) => `${c.name}: ${c.status}`)).toEqual(['Kubernetes API: ok', 'clock skew (API server): ok', 'CRDs: ok', 'control plane: ok', 'sidecar injector: ok']);
  });
});
