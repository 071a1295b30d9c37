import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RESOURCE_KINDS } from '@trellis/shared';
import { crdPlural, CRD_GROUP, CRD_VERSION } from '../../src/kubernetes/crd-names.ts';
import { createObjectStore, type Collection } from './fake-kubernetes-objects.ts';

// A stand-in for the Kubernetes API server (we cannot run one here) that speaks its wire format for the
// two resources discovery reads: list responses (`{kind: XList, metadata: {resourceVersion}, items}`) and
// watch streams (one `{type: ADDED|MODIFIED|DELETED, object}` JSON document per line); and TokenReview
// (authentication.k8s.io/v1), answering for the ServiceAccount tokens a test gives it.

interface K8sObject {
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const RESOURCES = {
  '/apis/discovery.k8s.io/v1/endpointslices': { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
  '/api/v1/pods': { kind: 'Pod', apiVersion: 'v1' },
} as const;
type ResourcePath = keyof typeof RESOURCES;

export async function startFakeKubernetes() {
  let revision = 100;
  const objects = new Map<ResourcePath, Map<string, K8sObject>>(Object.keys(RESOURCES).map((p) => [p as ResourcePath, new Map()]));
  const watchers = new Map<ResourcePath, Set<http.ServerResponse>>(Object.keys(RESOURCES).map((p) => [p as ResourcePath, new Set()]));
  const requests: string[] = [];
  /** token -> the ServiceAccount it belongs to and the audiences it was made for. */
  const tokens = new Map<string, { namespace: string; serviceAccount: string; audiences: string[] }>();
  // Custom resources, HTTPRoutes and Deployments (scale): fake-kubernetes-objects.ts.
  const store = createObjectStore(() => ++revision, () => revision);
  /** How far the fake API server's clock (its Date header) is from this machine's. */
  const clock = { offsetMs: 0 };
  const installObjects = createInstallObjects(clock);
  for (const c of [...Object.values(CUSTOM_RESOURCES), HTTP_ROUTES, DEPLOYMENTS]) store.serve(c);

  const tokenReview = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as { spec: { token: string; audiences?: string[] } };
      const sa = tokens.get(review.spec.token);
      const wanted = review.spec.audiences ?? [];
      const audiences = sa ? sa.audiences.filter((a) => wanted.length === 0 || wanted.includes(a)) : [];
      const status =
        sa && audiences.length > 0
          ? {
              authenticated: true,
              user: { username: `system:serviceaccount:${sa.namespace}:${sa.serviceAccount}`, uid: `${sa.namespace}-${sa.serviceAccount}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`] },
              audiences,
            }
          : { authenticated: false, error: sa ? 'token audiences do not match' : 'invalid bearer token' };
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: review.spec, status }),
      );
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      tokenReview(req, res);
      return;
    }
    if (store.handle(req, res, url)) return;
    if (installObjects.handle(req, res, url)) return;
    const resource = RESOURCES[url.pathname as ResourcePath] as (typeof RESOURCES)[ResourcePath] | undefined;
    if (!resource) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      return;
    }
    const p = url.pathname as ResourcePath;
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      watchers.get(p)?.add(res);
      req.on('close', () => watchers.get(p)?.delete(res));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        kind: `${resource.kind}List`,
        apiVersion: resource.apiVersion,
        metadata: { resourceVersion: String(revision) },
        items: [...(objects.get(p)?.values() ?? [])],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = path.join(await import('node:fs/promises').then((fs) => fs.mkdtemp(path.join(os.tmpdir(), 'trellis-kube-'))), 'config');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      // client-node speaks plain HTTP only when told to skip TLS verification.
      'clusters: [{name: fake, cluster: {server: "' + url + '", insecure-skip-tls-verify: true}}]',
      'users: [{name: test, user: {token: test-token}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: test}}]',
      'current-context: fake',
    ].join('\n'),
  );

  function put(p: ResourcePath, object: K8sObject): void {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const map = objects.get(p) ?? new Map<string, K8sObject>();
    const type = map.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { apiVersion: RESOURCES[p].apiVersion, kind: RESOURCES[p].kind, ...object, metadata: { ...object.metadata, uid: key, resourceVersion: String(++revision) } };
    map.set(key, stored);
    for (const w of watchers.get(p) ?? []) w.write(`${JSON.stringify({ type, object: stored })}\n`);
  }
  function remove(p: ResourcePath, namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const object = objects.get(p)?.get(key);
    if (!object) return;
    objects.get(p)?.delete(key);
    const gone = { ...object, metadata: { ...object.metadata, resourceVersion: String(++revision) } };
    for (const w of watchers.get(p) ?? []) w.write(`${JSON.stringify({ type: 'DELETED', object: gone })}\n`);
  }

  return {
    url,
    kubeconfig,
    requests,
    putPod: (pod: K8sObject) => put('/api/v1/pods', pod),
    /** Makes `token` a ServiceAccount token of `namespace/serviceAccount` for the given audiences. */
    addServiceAccountToken: (token: string, namespace: string, serviceAccount: string, audiences = ['trellis']) =>
      tokens.set(token, { namespace, serviceAccount, audiences }),
    putSlice: (slice: K8sObject) => put('/apis/discovery.k8s.io/v1/endpointslices', slice),
    deleteSlice: (namespace: string, name: string) => remove('/apis/discovery.k8s.io/v1/endpointslices', namespace, name),
    ...customResourceHelpers(store),
    /** Puts a cluster-scoped object `trellis install` makes (a CRD, the webhook configuration), readable by name. */
    putInstalled: installObjects.put,
    /** Sets the API server's clock `ms` ahead of this machine's (negative: behind), as its Date header says. */
    setClockOffset: (ms: number) => (clock.offsetMs = ms),
    removeInstalled: installObjects.remove,
    close: async () => {
      store.closeWatches();
      for (const set of watchers.values()) for (const w of set) w.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---- Custom resources, HTTPRoute, Deployment scale (k8s-policy) ----

/** Every Trellis kind as a CRD collection: group trellis.dev, version v1alpha1. */
const CUSTOM_RESOURCES: Record<string, Collection> = Object.fromEntries(
  RESOURCE_KINDS.map((kind) => [kind, { group: CRD_GROUP, version: CRD_VERSION, plural: crdPlural(kind), kind }]),
);
export const HTTP_ROUTES: Collection = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' };
export const DEPLOYMENTS: Collection = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' };

type ObjectInput = Parameters<ReturnType<typeof createObjectStore>['put']>[1];

function customResourceHelpers(store: ReturnType<typeof createObjectStore>) {
  const collection = (kind: string) => {
    const c = CUSTOM_RESOURCES[kind];
    if (!c) throw new Error(`no custom resource kind ${kind}`);
    return c;
  };
  return {
    /** `kubectl apply` of a Trellis custom resource (kind from the object); `manager` is the managedFields manager. */
    applyCustomResource: (object: ObjectInput & { kind: string }, manager?: string) => store.put(collection(object.kind), object, manager),
    deleteCustomResource: (kind: string, namespace: string, name: string) => store.remove(collection(kind), namespace, name),
    getCustomResource: (kind: string, namespace: string, name: string) => store.get(collection(kind), namespace, name),
    applyHttpRoute: (object: ObjectInput, manager?: string) => store.put(HTTP_ROUTES, object, manager),
    deleteHttpRoute: (namespace: string, name: string) => store.remove(HTTP_ROUTES, namespace, name),
    getHttpRoute: (namespace: string, name: string) => store.get(HTTP_ROUTES, namespace, name),
    putDeployment: (object: ObjectInput) => store.put(DEPLOYMENTS, object),
    getDeployment: (namespace: string, name: string) => store.get(DEPLOYMENTS, namespace, name),
    /** Scale changes clients asked for, in order. */
    scaleRequests: store.scaleRequests,
    onScale: store.onScale,
    /** The next write of namespace/name (any collection) gets 409 Conflict, as if someone else wrote first. */
    conflictOnce: store.conflictOnce,
    /** Etcd compaction: ends every custom-resource watch; resuming from an old resourceVersion gets 410 Gone. */
    compact: store.compact,
  };
}

// ---- What `trellis install` creates, read by `trellis check --kubernetes` (k8s-install) ----

type InstalledObject = { apiVersion: string; kind: string; metadata: { name: string; [key: string]: unknown } };

/** GET /version, and GET by name of cluster-scoped objects (CRDs, MutatingWebhookConfigurations). */
function createInstallObjects(clock: { offsetMs: number }) {
  const objects = new Map<string, unknown>();
  const pathOf = (o: InstalledObject) => {
    const plural = `${o.kind.toLowerCase()}s`;
    return `/apis/${o.apiVersion}/${plural}/${o.metadata.name}`;
  };
  return {
    put: (o: InstalledObject) => objects.set(pathOf(o), { ...o, metadata: { ...o.metadata, uid: o.metadata.name, resourceVersion: '1' } }),
    remove: (o: InstalledObject) => objects.delete(pathOf(o)),
    handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
      if (req.method !== 'GET') return false;
      if (url.pathname === '/version') {
        const date = new Date(Date.now() + clock.offsetMs).toUTCString();
        res.writeHead(200, { 'content-type': 'application/json', date }).end(JSON.stringify({ major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' }));
        return true;
      }
      const object = objects.get(url.pathname);
      if (object === undefined) return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(object));
      return true;
    },
  };
}
