import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// A stand-in for the Kubernetes API server (we cannot run one here) that speaks its wire format for the
// two resources discovery reads: list responses (`{kind: XList, metadata: {resourceVersion}, items}`) and
// watch streams (one `{type: ADDED|MODIFIED|DELETED, object}` JSON document per line).

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

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
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
    putSlice: (slice: K8sObject) => put('/apis/discovery.k8s.io/v1/endpointslices', slice),
    deleteSlice: (namespace: string, name: string) => remove('/apis/discovery.k8s.io/v1/endpointslices', namespace, name),
    close: async () => {
      for (const set of watchers.values()) for (const w of set) w.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
