import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { startFakeKubernetes } from './support/fake-kubernetes.ts';
import { connectTestProxy, sleep, type TestProxy } from './support/stream.ts';

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

const pod = (name: string, labels: Record<string, string>) => ({ metadata: { name, namespace: 'shop', labels }, spec: {}, status: { phase: 'Running' } });
const slice = (name: string, endpoints: { ip: string; pod: string; ready?: boolean; zone?: string }[]) => ({
  metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'reviews' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: { ready: e.ready ?? true },
    targetRef: { kind: 'Pod', name: e.pod, namespace: 'shop' },
    ...(e.zone ? { zone: e.zone } : {}),
  })),
});

describe('Kubernetes discovery (EndpointSlices and Pods, list and watch)', () => {
  let kube: Awaited<ReturnType<typeof startFakeKubernetes>>;
  let db: TestDatabase;
  let env: Awaited<ReturnType<typeof startTestControlPlane>>;
  let proxy: TestProxy;
  beforeAll(async () => {
    kube = await startFakeKubernetes();
    // Objects that exist before the control plane starts come from the initial list.
    kube.putPod(pod('reviews-v1-abc', { app: 'reviews', version: 'v1' }));
    kube.putSlice(slice('reviews-x1', [{ ip: '10.1.0.1', pod: 'reviews-v1-abc', zone: 'zone-a' }]));
    db = await createDatabase();
    env = await startTestControlPlane({ ...db.options, kubernetes: { kubeconfig: kube.kubeconfig } });
    proxy = await connectTestProxy(env.cp.url, { service: 'frontend', instance: 'frontend-1' });
  });
  afterAll(async () => {
    await proxy?.client.close();
    await env?.cp.close();
    await db?.cleanup();
    await kube?.close();
  });

  const reviewsIn = (s: { outbound: { services: { name: string; namespace: string; endpoints: { address: string; labels: Record<string, string>; zone?: string }[] }[] } }) =>
    s.outbound.services.find((o) => o.name === 'reviews' && o.namespace === 'shop')?.endpoints ?? [];

  it('turns the EndpointSlices of a Service into its endpoints, labelled from their pods', async () => {
    const { snapshot } = await proxy.next((s) => reviewsIn(s).length === 1);
    expect(reviewsIn(snapshot)).toEqual([{ address: '10.1.0.1', port: 9080, zone: 'zone-a', labels: { app: 'reviews', version: 'v1' }, instance: 'reviews-v1-abc' }]);
    expect(kube.requests.some((r) => r.startsWith('GET /apis/discovery.k8s.io/v1/endpointslices?') && r.includes('watch=true'))).toBe(true);
  });

  it('follows the watch: new pods and slices join, endpoints that are not ready leave, deleted slices go', async () => {
    kube.putPod(pod('reviews-v2-def', { app: 'reviews', version: 'v2' }));
    kube.putSlice(slice('reviews-x2', [{ ip: '10.1.0.2', pod: 'reviews-v2-def' }, { ip: '10.1.0.3', pod: 'reviews-v2-ghi', ready: false }]));
    const joined = await proxy.next((s) => reviewsIn(s).length === 2);
    expect(reviewsIn(joined.snapshot).map((e) => [e.address, e.labels.version])).toEqual([
      ['10.1.0.1', 'v1'],
      ['10.1.0.2', 'v2'],
    ]);
    const services = await env.client.services.list.query();
    expect(services.find((s) => s.name === 'reviews' && s.namespace === 'shop')).toMatchObject({ versions: ['v1', 'v2'] });

    kube.putSlice(slice('reviews-x2', [{ ip: '10.1.0.2', pod: 'reviews-v2-def', ready: false }]));
    await proxy.next((s) => reviewsIn(s).length === 1);
    kube.deleteSlice('shop', 'reviews-x1');
    const gone = await proxy.next((s) => reviewsIn(s).length === 0);
    expect(reviewsIn(gone.snapshot)).toEqual([]);
    await sleep(50);
  });

  it('lets a proxy in with a projected ServiceAccount token Kubernetes vouches for (TokenReview): its identity is its namespace and ServiceAccount', async () => {
    kube.addServiceAccountToken('sa-token-cart', 'shop', 'cart');
    kube.addServiceAccountToken('sa-token-wrong-audience', 'shop', 'cart', ['kubernetes']);
    const { StreamClient } = await import('@trellis/stream-client');
    const { generateKeyPair, x509, EC_P256 } = await import('../src/identity/x509.ts');
    const roots = env.cp.services.identity.ca.bundle().roots;
    const join = async (service: string, token: string) => {
      const keys = await generateKeyPair();
      const csr = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=x', keys, signingAlgorithm: EC_P256 })).toString('pem');
      const got: string[] = [];
      const logs: string[] = [];
      const client = new StreamClient({
        controlPlane: env.cp.url,
        identity: { service, namespace: 'shop', instance: `${service}-${token}`, proxyVersion: 'test' },
        apply: () => undefined,
        log: (l) => logs.push(l),
        credentials: {
          trustedRoots: () => roots,
          clientCertificate: () => undefined,
          credential: () => ({ kind: 'service-account-token', token }),
          certificateRequest: () => Promise.resolve(csr),
          renewalRequest: () => Promise.resolve(csr),
          installCertificate: (c) => void got.push(c.identity),
          installBundle: () => undefined,
        },
      });
      await client.start();
      for (let i = 0; i < 100 && got.length === 0 && !logs.some((l) => l.includes('refused this proxy')); i++) await sleep(30);
      await client.close();
      return { got, logs: logs.join('\n') };
    };
    expect((await join('cart', 'sa-token-cart')).got).toEqual(['spiffe://trellis.local/ns/shop/sa/cart']);
    expect(kube.requests).toContain('POST /apis/authentication.k8s.io/v1/tokenreviews');
    const unknown = await join('cart', 'not-a-token');
    expect(unknown.got).toEqual([]);
    expect(unknown.logs).toContain('Kubernetes did not accept the ServiceAccount token: invalid bearer token');
    const audience = await join('cart', 'sa-token-wrong-audience');
    expect(audience.got).toEqual([]);
    // cart's token cannot join as another service.
    const other = await join('payments', 'sa-token-cart');
    expect(other.got).toEqual([]);
    expect(other.logs).toContain('may not join as payments.shop');
  });
});
