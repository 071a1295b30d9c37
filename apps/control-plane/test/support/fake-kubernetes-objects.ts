import type http from 'node:http';

// The fake API server's generic object store (k8s-policy's part of fake-kubernetes.ts): custom resources
// (trellis.dev, gateway.networking.k8s.io) and Deployments with their scale subresource, spoken the way
// the real API server does: resourceVersion from one cluster-wide counter, `metadata.generation` bumped
// on spec changes only, PUT with a stale resourceVersion -> 409 Conflict, a `/status` subresource that
// changes status only, watches that resume from a resourceVersion and answer 410 Gone (an ERROR event)
// when it is older than the compacted history, managedFields naming the `fieldManager` of each write.

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion: string;
    generation: number;
    uid: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager: string; operation: string; time: string; apiVersion: string }[];
  };
  spec?: unknown;
  status?: unknown;
  [key: string]: unknown;
}

interface Collection {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: StoredObject;
  revision: number;
}

/** A path under /apis (or /api) this store serves: `/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<sub>]]`. */
const PATH = /^\/apis\/([^/]+)\/([^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(status|scale))?$/;

/** `nextRevision` and `currentRevision` share the fake API server's one resourceVersion counter. */
export function createObjectStore(nextRevision: () => number, currentRevision: () => number) {
  const collections: Collection[] = [];
  const objects = new Map<string, Map<string, StoredObject>>();
  const history = new Map<string, WatchEvent[]>();
  const watchers = new Map<string, Set<{ res: http.ServerResponse; namespace: string | undefined }>>();
  /** Watches from a resourceVersion older than this get 410 Gone. */
  let compactedAt = 0;
  /** Answers the next write of `namespace/name` with 409 Conflict once (a concurrent writer won). */
  const conflictOnce = new Set<string>();
  /** Every scale change a client asked for: `<namespace>/<name> -> replicas`. */
  const scaleRequests: { namespace: string; name: string; replicas: number }[] = [];
  /** Called after a Deployment's replicas change (a test brings its endpoints up). */
  let onScale: ((namespace: string, name: string, replicas: number) => void) | undefined;

  const idOf = (c: Collection) => `${c.group}/${c.version}/${c.plural}`;
  const send = (res: http.ServerResponse, code: number, body: unknown) =>
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const status = (res: http.ServerResponse, code: number, reason: string, message: string) =>
    send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message, code });

  function serve(c: Collection) {
    collections.push(c);
    objects.set(idOf(c), new Map());
    history.set(idOf(c), []);
    watchers.set(idOf(c), new Set());
  }

  function publish(c: Collection, type: WatchEvent['type'], object: StoredObject) {
    const event = { type, object, revision: Number(object.metadata.resourceVersion) };
    history.get(idOf(c))?.push(event);
    for (const w of watchers.get(idOf(c)) ?? []) {
      if (!w.res.writableEnded && (!w.namespace || w.namespace === object.metadata.namespace)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  function managed(manager: string | null, operation: string, apiVersion: string) {
    return { manager: manager ?? 'unknown', operation, time: new Date().toISOString(), apiVersion };
  }

  /** Creates or replaces an object as its owner would (tests call it like `kubectl apply`). */
  function put(c: Collection, input: { metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown; [k: string]: unknown }, manager = 'kubectl-client-side-apply') {
    const namespace = input.metadata.namespace ?? 'default';
    const key = `${namespace}/${input.metadata.name}`;
    const map = objects.get(idOf(c));
    if (!map) throw new Error(`no collection ${idOf(c)}`);
    const old = map.get(key);
    const specChanged = !old || JSON.stringify(old.spec) !== JSON.stringify(input.spec);
    const stored: StoredObject = {
      ...input,
      apiVersion: `${c.group ? `${c.group}/` : ''}${c.version}`,
      kind: c.kind,
      metadata: {
        ...input.metadata,
        namespace,
        uid: old?.metadata.uid ?? `uid-${key}`,
        creationTimestamp: old?.metadata.creationTimestamp ?? new Date().toISOString(),
        generation: (old?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(nextRevision()),
        managedFields: [managed(manager, old ? 'Update' : 'Apply', c.version)],
      },
      ...(old?.status !== undefined && input.status === undefined ? { status: old.status } : {}),
    };
    map.set(key, stored);
    publish(c, old ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  function remove(c: Collection, namespace: string, name: string) {
    const map = objects.get(idOf(c));
    const old = map?.get(`${namespace}/${name}`);
    if (!map || !old) return undefined;
    map.delete(`${namespace}/${name}`);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(nextRevision()) } };
    publish(c, 'DELETED', gone);
    return gone;
  }

  function readBody(req: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          resolve(body ? JSON.parse(body) : {});
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  /** Serves the request when it is for one of the collections; false when it is not ours. */
  function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    const m = PATH.exec(url.pathname);
    if (!m) return false;
    const [, group, version, namespace, plural, name, sub] = m;
    const c = collections.find((x) => x.group === group && x.version === version && x.plural === plural);
    if (!c) return false;
    const map = objects.get(idOf(c)) ?? new Map<string, StoredObject>();
    const manager = url.searchParams.get('fieldManager');
    void (async () => {
      if (!name) {
        if (req.method === 'GET' && url.searchParams.get('watch') === 'true') return watch(c, namespace, url, req, res);
        if (req.method === 'GET') {
          const items = [...map.values()].filter((o) => !namespace || o.metadata.namespace === namespace);
          return send(res, 200, { kind: `${c.kind}List`, apiVersion: `${c.group}/${c.version}`, metadata: { resourceVersion: String(currentRevision()) }, items });
        }
        if (req.method === 'POST' && namespace) {
          const body = (await readBody(req)) as StoredObject;
          if (map.has(`${namespace}/${body.metadata.name}`)) return status(res, 409, 'AlreadyExists', `${c.plural} "${body.metadata.name}" already exists`);
          return send(res, 201, put(c, { ...body, metadata: { ...body.metadata, namespace } }, manager ?? 'unknown'));
        }
        return status(res, 405, 'MethodNotAllowed', `${req.method ?? ''} is not supported here`);
      }
      const key = `${namespace ?? 'default'}/${name}`;
      const current = map.get(key);
      if (req.method === 'GET') {
        if (!current) return status(res, 404, 'NotFound', `${c.plural} "${name}" not found`);
        if (sub === 'scale') return send(res, 200, scaleOf(current));
        return send(res, 200, current);
      }
      if (req.method === 'DELETE') {
        const gone = remove(c, namespace ?? 'default', name);
        return gone ? send(res, 200, gone) : status(res, 404, 'NotFound', `${c.plural} "${name}" not found`);
      }
      if (req.method !== 'PUT' && req.method !== 'PATCH') return status(res, 405, 'MethodNotAllowed', `${req.method ?? ''} is not supported here`);
      const body = (await readBody(req)) as Partial<StoredObject>;
      if (!current && !(req.method === 'PUT' && !sub)) return status(res, 404, 'NotFound', `${c.plural} "${name}" not found`);
      const sentVersion = body.metadata?.resourceVersion;
      if (conflictOnce.delete(key) || (current && sentVersion && sentVersion !== current.metadata.resourceVersion)) {
        return status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${c.plural}.${c.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      if (sub === 'scale' && current) {
        const replicas = (body as { spec?: { replicas?: number } }).spec?.replicas;
        if (typeof replicas !== 'number') return status(res, 422, 'Invalid', 'spec.replicas: Required value');
        scaleRequests.push({ namespace: current.metadata.namespace, name, replicas });
        const updated = put(c, { ...current, spec: { ...(current.spec as object), replicas } }, manager ?? 'unknown');
        onScale?.(current.metadata.namespace, name, replicas);
        return send(res, 200, scaleOf(updated));
      }
      if (sub === 'status' && current) {
        // The status subresource changes status only; spec and metadata stay as they are.
        const updated = { ...current, status: body.status, metadata: { ...current.metadata, resourceVersion: String(nextRevision()) } };
        map.set(key, updated);
        publish(c, 'MODIFIED', updated);
        return send(res, 200, updated);
      }
      // PUT (replace) and PATCH (JSON merge patch, good enough for the fields we send): the main resource ignores status.
      const merged = req.method === 'PATCH' && current ? mergePatch(current, body) : body;
      const { status: _ignored, ...rest } = merged as StoredObject;
      const next = put(c, { ...rest, metadata: { ...(merged as StoredObject).metadata, namespace: namespace ?? 'default', name } }, manager ?? 'unknown');
      return send(res, current ? 200 : 201, next);
    })().catch((err: Error) => status(res, 400, 'BadRequest', err.message));
    return true;
  }

  function watch(c: Collection, namespace: string | undefined, url: URL, req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    if (from && from < compactedAt) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', message: `too old resource version: ${from} (${compactedAt})`, code: 410 } })}\n`);
      return;
    }
    // Events after the resourceVersion the client has seen, then live ones.
    for (const e of history.get(idOf(c)) ?? []) {
      if (e.revision > from && (!namespace || e.object.metadata.namespace === namespace)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    const entry = { res, namespace };
    watchers.get(idOf(c))?.add(entry);
    req.on('close', () => watchers.get(idOf(c))?.delete(entry));
  }

  return {
    serve,
    handle,
    put,
    remove,
    get: (c: Collection, namespace: string, name: string) => objects.get(idOf(c))?.get(`${namespace}/${name}`),
    scaleRequests,
    onScale: (fn: (namespace: string, name: string, replicas: number) => void) => {
      onScale = fn;
    },
    conflictOnce: (namespace: string, name: string) => conflictOnce.add(`${namespace}/${name}`),
    /** Forgets the history (as etcd compaction does) and ends every watch: clients must re-list (410 Gone). */
    compact: () => {
      compactedAt = nextRevision();
      for (const id of history.keys()) history.set(id, []);
      for (const set of watchers.values()) {
        for (const w of set) w.res.end();
        set.clear();
      }
    },
    closeWatches: () => {
      for (const set of watchers.values()) {
        for (const w of set) w.res.end();
        set.clear();
      }
    },
  };
}

function scaleOf(deployment: StoredObject) {
  const replicas = (deployment.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: deployment.metadata.name, namespace: deployment.metadata.namespace, resourceVersion: deployment.metadata.resourceVersion },
    spec: { replicas },
    status: { replicas },
  };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export type { Collection };
