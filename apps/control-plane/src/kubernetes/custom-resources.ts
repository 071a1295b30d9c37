import { CustomObjectsApi, makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { API_VERSION, RESOURCE_KINDS, type Resource, type ResourceKind } from '@trellis/shared';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { ResourceRef, ResourceSource, ResourceStore } from '../store/resources.ts';
import { revisionBody } from '../store/representation.ts';
import { CRD_GROUP, CRD_VERSION, crdPlural } from './crd-names.ts';
import { acceptedCondition, sameStatus, type Condition, type CustomResourceStatus } from './conditions.ts';
import { apiMessage, apiStatus, loadKubeConfig } from './kubeconfig.ts';

/** Who wrote a custom resource through Trellis (the dashboard or CLI user); read back as the revision's author. */
export const AUTHOR_ANNOTATION = 'trellis.dev/author';
/** The field manager Trellis writes with. */
export const FIELD_MANAGER = 'trellis-control-plane';
/** Annotations Kubernetes tools keep for themselves: not part of the policy, so not in its history. */
const TOOL_ANNOTATIONS = [AUTHOR_ANNOTATION, 'kubectl.kubernetes.io/last-applied-configuration'];

export interface CustomResourceSyncOptions {
  kubeconfig?: string | undefined;
  log?: (line: string) => void;
  /** Wait before re-listing after a watch fails (default 5 s). */
  retryMs?: number;
  /** How often `status.proxies` is brought up to date (default 2 s). */
  statusIntervalMs?: number;
}

interface CustomObject extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: Condition[]; proxies?: number };
  metadata: NonNullable<KubernetesObject['metadata']> & { managedFields?: { manager?: string; time?: string | Date }[] };
}

/** How many connected proxies run the current config for a resource. */
export type ProxyCounter = (resource: Resource) => number;

/**
 * Kubernetes custom resources as the source of truth (Kubernetes mode). One list+watch informer per
 * kind (re-listing on 410 Gone); each object is validated and compiled like any resource by writing it
 * to the store (history and audit kept, the author taken from the request), and gets status written
 * back: Accepted True/False with a reason naming the field, and how many proxies run it. Writes through
 * the API go to Kubernetes first with the resourceVersion we last saw (a 409 is a conflict).
 */
export class CustomResourceSync implements ResourceSource {
  private readonly api: CustomObjectsApi;
  private readonly informers = new Map<ResourceKind, Informer<CustomObject> & ObjectCache<CustomObject>>();
  /** The resourceVersion of each object (kind/namespace/name) the store last caught up with. */
  private readonly synced = new Map<string, string>();
  /** What each object last said (spec, labels, annotations): a status-only change is not stored again. */
  private readonly seenContent = new Map<string, string>();
  /** Objects the API deleted itself: their DELETED event needs no store write. */
  private readonly deletedHere = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly store: ResourceStore,
    private readonly countProxies: ProxyCounter,
    private readonly options: CustomResourceSyncOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.api = loadKubeConfig(options.kubeconfig).makeApiClient(CustomObjectsApi);
  }

  /** Lists and watches every Trellis kind, brings the store in line, and takes over the store's writes. */
  static async start(store: ResourceStore, countProxies: ProxyCounter, options: CustomResourceSyncOptions = {}): Promise<CustomResourceSync> {
    const sync = new CustomResourceSync(store, countProxies, options);
    const kc = loadKubeConfig(options.kubeconfig);
    const listed = await Promise.all(RESOURCE_KINDS.map((kind) => sync.watchKind(kc, kind)));
    await sync.serial(() => sync.removeMissing(RESOURCE_KINDS.filter((_k, i) => listed[i])));
    store.useSource(sync);
    sync.statusTimer = setInterval(() => void sync.serial(() => sync.refreshProxyCounts()), options.statusIntervalMs ?? 2000);
    sync.statusTimer.unref();
    return sync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.statusTimer);
    for (const informer of this.informers.values()) await informer.stop();
    await this.chain;
  }

  /** Resolves when every event seen so far has been handled (for tests). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Starts one kind's informer; false when it could not be listed (its CRD is not installed yet: retried). */
  private async watchKind(kc: ReturnType<typeof loadKubeConfig>, kind: ResourceKind): Promise<boolean> {
    const plural = crdPlural(kind);
    const informer = makeInformer<CustomObject>(
      kc,
      `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}`,
      () => this.api.listClusterCustomObject({ group: CRD_GROUP, version: CRD_VERSION, plural }) as Promise<{ items: CustomObject[]; metadata?: { resourceVersion?: string } }>,
    );
    this.informers.set(kind, informer);
    informer.on('add', (o) => void this.serial(() => this.reconcile(kind, o)));
    informer.on('update', (o) => void this.serial(() => this.reconcile(kind, o)));
    informer.on('delete', (o) => void this.serial(() => this.removed(kind, o)));
    let warned = false;
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      if (!warned) this.log(`kubernetes ${kind} watch failed (${apiMessage(err)}); retrying (is the CRD ${plural}.${CRD_GROUP} installed?)`);
      warned = true;
      setTimeout(() => {
        if (!this.stopped) informer.start().catch(() => {});
      }, this.options.retryMs ?? 5000).unref();
    });
    try {
      await informer.start();
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `task` after every earlier one: events, status writes and API writes never interleave. */
  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task).catch((err: unknown) => this.log(`kubernetes custom resources: ${(err as Error).message}`));
    this.chain = run;
    return run;
  }

  /** A custom resource was added or changed: store it if valid, and say so in its status. */
  private async reconcile(kind: ResourceKind, object: CustomObject): Promise<void> {
    const { name, namespace = 'default', resourceVersion, generation } = object.metadata;
    if (!name) return;
    const key = `${kind}/${namespace}/${name}`;
    const author = authorOf(object);
    const content = JSON.stringify(toTrellisResource(kind, object));
    if (this.seenContent.get(key) === content) {
      // Only the status changed (our own write, or a proxy count): nothing to compile.
      if (resourceVersion) this.synced.set(key, resourceVersion);
      return;
    }
    let condition: Condition;
    let stored: Resource | undefined;
    try {
      const result = await this.store.apply(toTrellisResource(kind, object), { author, note: `from Kubernetes (resourceVersion ${resourceVersion ?? '?'})`, fromSource: true });
      stored = result.resource;
      condition = acceptedCondition(true, 'Accepted', 'compiled and sent to the proxies that need it', generation, object.status?.conditions);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const kept = await this.store.get({ kind, namespace, name });
      const message = `${err.fieldErrors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}${kept ? ' (proxies keep the last accepted version)' : ''}`;
      condition = acceptedCondition(false, 'Invalid', message, generation, object.status?.conditions);
      stored = undefined;
    }
    // Remembered only once handled: a database error leaves it to be tried again with the next event or re-list.
    this.seenContent.set(key, content);
    if (resourceVersion) this.synced.set(key, resourceVersion);
    await this.writeStatus(kind, object, { conditions: [condition], proxies: stored ? this.countProxies(stored) : 0 });
  }

  /** A custom resource was deleted in Kubernetes: delete it here (its history stays). */
  private async removed(kind: ResourceKind, object: CustomObject): Promise<void> {
    const { name, namespace = 'default' } = object.metadata;
    if (!name) return;
    const key = `${kind}/${namespace}/${name}`;
    this.synced.delete(key);
    this.seenContent.delete(key);
    if (this.deletedHere.delete(key)) return;
    await this.store.delete({ kind, namespace, name }, { author: authorOf(object), note: 'deleted in Kubernetes', fromSource: true }).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }

  /** After the first list: resources the database has but Kubernetes does not were deleted while we were away. */
  private async removeMissing(kinds: ResourceKind[]): Promise<void> {
    for (const kind of kinds) {
      const present = new Set(this.informers.get(kind)?.list().map((o) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name ?? ''}`));
      for (const r of await this.store.list({ kind })) {
        if (present.has(`${r.metadata.namespace}/${r.metadata.name}`)) continue;
        await this.store.delete({ kind, namespace: r.metadata.namespace, name: r.metadata.name }, { author: 'kubernetes', note: 'not in Kubernetes', fromSource: true }).catch(() => {});
      }
    }
  }

  /** Writes the status subresource unless it already says this; a 409 is left to the next event. */
  private async writeStatus(kind: ResourceKind, object: CustomObject, status: CustomResourceStatus): Promise<void> {
    if (sameStatus(object.status, status)) return;
    const { name = '', namespace = 'default' } = object.metadata;
    try {
      const updated = (await this.api.replaceNamespacedCustomObjectStatus({
        group: CRD_GROUP,
        version: CRD_VERSION,
        namespace,
        plural: crdPlural(kind),
        name,
        body: { ...object, status },
        fieldManager: FIELD_MANAGER,
      })) as CustomObject;
      const key = `${kind}/${namespace}/${name}`;
      if (updated.metadata.resourceVersion && this.synced.has(key)) this.synced.set(key, updated.metadata.resourceVersion);
    } catch (err) {
      if (apiStatus(err) !== 409 && apiStatus(err) !== 404) this.log(`could not write the status of ${kind} ${namespace}/${name}: ${apiMessage(err)}`);
    }
  }

  /** `status.proxies` follows the proxies as they connect, leave and apply snapshots. */
  private async refreshProxyCounts(): Promise<void> {
    for (const [kind, informer] of this.informers) {
      for (const object of informer.list()) {
        const accepted = object.status?.conditions?.find((c) => c.type === 'Accepted');
        if (accepted?.status !== 'True' || !object.metadata.name) continue;
        const stored = await this.store.get({ kind, namespace: object.metadata.namespace ?? 'default', name: object.metadata.name });
        if (!stored) continue;
        const proxies = this.countProxies(stored);
        if (proxies !== object.status?.proxies) await this.writeStatus(kind, object, { conditions: object.status?.conditions ?? [], proxies });
      }
    }
  }

  /** ResourceSource: an API write becomes a create or a replace of the custom resource. */
  write(resource: Resource, author: string): Promise<void> {
    return this.inOrder(async () => {
      const { kind } = resource;
      const { name, namespace } = resource.metadata;
      const key = `${kind}/${namespace}/${name}`;
      const current = this.informers.get(kind)?.get(name, namespace);
      const seen = this.seenContent.get(key);
      // Changed in Kubernetes after what the caller read (we have not caught up yet): a conflict, not an overwrite.
      if (current && seen !== undefined && JSON.stringify(toTrellisResource(kind, current)) !== seen) {
        throw new ConflictError(`${kind} ${namespace}/${name} was just changed in Kubernetes; fetch it again and reapply your change`);
      }
      // The newest resourceVersion we know (our own status write may be newer than the watch has shown us yet):
      // Kubernetes answers 409 if anyone else wrote since.
      const resourceVersion = this.synced.get(key) ?? current?.metadata.resourceVersion;
      const body = toCustomObject(resource, author, current, resourceVersion);
      try {
        const written = (current
          ? await this.api.replaceNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace, plural: crdPlural(kind), name, body, fieldManager: FIELD_MANAGER })
          : await this.api.createNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace, plural: crdPlural(kind), body, fieldManager: FIELD_MANAGER })) as CustomObject;
        if (written.metadata.resourceVersion) this.synced.set(key, written.metadata.resourceVersion);
      } catch (err) {
        if (apiStatus(err) === 409) throw new ConflictError(`${kind} ${namespace}/${name} was changed in Kubernetes by someone else (${apiMessage(err)}); fetch it again and reapply your change`);
        throw new Error(`Kubernetes refused the write of ${kind} ${namespace}/${name}: ${apiMessage(err)}`);
      }
    });
  }

  /** ResourceSource: an API delete deletes the custom resource. */
  remove(ref: ResourceRef, _author: string): Promise<void> {
    return this.inOrder(async () => {
      const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
      this.deletedHere.add(key);
      try {
        await this.api.deleteNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace: ref.namespace, plural: crdPlural(ref.kind), name: ref.name });
      } catch (err) {
        this.deletedHere.delete(key);
        if (apiStatus(err) === 404) return;
        throw new Error(`Kubernetes refused to delete ${ref.kind} ${ref.namespace}/${ref.name}: ${apiMessage(err)}`);
      }
    });
  }

  /** Like serial(), but the caller gets the task's own error. */
  private inOrder(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }
}

/** The custom resource as a Trellis resource: its spec, and its metadata without what Kubernetes tools keep. */
export function toTrellisResource(kind: ResourceKind, object: CustomObject): unknown {
  const { name, namespace, labels, annotations } = object.metadata;
  const kept = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !TOOL_ANNOTATIONS.includes(k)));
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: {
      name,
      namespace: namespace ?? 'default',
      ...(labels && Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(kept).length ? { annotations: kept } : {}),
    },
    spec: object.spec,
  };
}

/** A Trellis resource as the custom resource to write, keeping the tool annotations the current one has. */
function toCustomObject(resource: Resource, author: string, current: CustomObject | undefined, resourceVersion: string | undefined): object {
  const body = revisionBody(resource);
  const toolAnnotations = Object.fromEntries(Object.entries(current?.metadata.annotations ?? {}).filter(([k]) => TOOL_ANNOTATIONS.includes(k)));
  return {
    apiVersion: `${CRD_GROUP}/${CRD_VERSION}`,
    kind: body.kind,
    metadata: {
      name: body.metadata.name,
      namespace: body.metadata.namespace,
      ...(body.metadata.labels ? { labels: body.metadata.labels } : {}),
      annotations: { ...body.metadata.annotations, ...toolAnnotations, [AUTHOR_ANNOTATION]: author },
      ...(current && resourceVersion ? { resourceVersion } : {}),
    },
    spec: body.spec,
  };
}

/**
 * Who wrote the object, as far as the request says: the author annotation Trellis sets, else the newest
 * managedFields manager (kubectl, helm, argocd, a controller).
 */
export function authorOf(object: CustomObject): string {
  const managers = [...(object.metadata.managedFields ?? [])].sort((a, b) => String(a.time ?? '').localeCompare(String(b.time ?? '')));
  const newest = managers.at(-1)?.manager;
  // The annotation stays when someone else edits the object later: it names the author only of our own writes.
  const annotated = object.metadata.annotations?.[AUTHOR_ANNOTATION];
  if (annotated && (newest === FIELD_MANAGER || !newest)) return annotated;
  return newest ? `kubernetes:${newest}` : 'kubernetes';
}
