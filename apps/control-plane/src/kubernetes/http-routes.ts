import { CustomObjectsApi, makeInformer, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { serviceKey, type ServiceKey } from '../discovery/registry.ts';
import { isServiceParent, parseHttpRouteSpec, type HttpRouteSpec, type ParentRef } from '../gateway/http-route.ts';
import type { GatewayRouteTable } from '../gateway/route-table.ts';
import { apiMessage, apiStatus, loadKubeConfig } from './kubeconfig.ts';
import { FIELD_MANAGER } from './custom-resources.ts';

const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';
const PLURAL = 'httproutes';
/** Our name in HTTPRoute status.parents[].controllerName. */
export const CONTROLLER_NAME = 'trellis.dev/mesh';

interface RouteCondition {
  type: 'Accepted' | 'ResolvedRefs';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}
interface RouteParentStatus {
  parentRef: Partial<ParentRef>;
  controllerName: string;
  conditions: RouteCondition[];
}
interface HttpRouteObject extends KubernetesObject {
  spec?: unknown;
  status?: { parents?: RouteParentStatus[] };
}

export interface HttpRouteSyncOptions {
  kubeconfig?: string | undefined;
  log?: (line: string) => void;
  retryMs?: number;
  /** How often ResolvedRefs is checked again (backends come and go); default 2 s. */
  statusIntervalMs?: number;
}

/**
 * Gateway API for the mesh (GAMMA): watches HTTPRoutes, puts the valid ones whose parentRefs name a
 * Service into the route table the compiler reads, and writes each Service parent's status: Accepted
 * (or why not, naming the field) and ResolvedRefs (every backendRef a Service the mesh knows, in the
 * route's namespace: ReferenceGrants are not read, so a cross-namespace backend is RefNotPermitted).
 */
export class HttpRouteSync {
  private informer: (Informer<HttpRouteObject> & ObjectCache<HttpRouteObject>) | undefined;
  private readonly api: CustomObjectsApi;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly table: GatewayRouteTable,
    private readonly serviceExists: (key: ServiceKey) => boolean,
    private readonly options: HttpRouteSyncOptions,
  ) {
    this.api = loadKubeConfig(options.kubeconfig).makeApiClient(CustomObjectsApi);
  }

  static async start(table: GatewayRouteTable, serviceExists: (key: ServiceKey) => boolean, options: HttpRouteSyncOptions = {}): Promise<HttpRouteSync> {
    const sync = new HttpRouteSync(table, serviceExists, options);
    const log = options.log ?? (() => {});
    const informer = makeInformer<HttpRouteObject>(
      loadKubeConfig(options.kubeconfig),
      `/apis/${GROUP}/${VERSION}/${PLURAL}`,
      () => sync.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }) as Promise<{ items: HttpRouteObject[] }>,
    );
    sync.informer = informer;
    informer.on('add', (o) => sync.serial(() => sync.reconcile(o)));
    informer.on('update', (o) => sync.serial(() => sync.reconcile(o)));
    informer.on('delete', (o) => sync.serial(async () => sync.table.delete(o.metadata?.namespace ?? 'default', o.metadata?.name ?? '')));
    let warned = false;
    informer.on('error', (err: unknown) => {
      if (sync.stopped) return;
      if (!warned) log(`kubernetes HTTPRoute watch failed (${apiMessage(err)}); retrying (are the Gateway API CRDs installed?)`);
      warned = true;
      setTimeout(() => {
        if (!sync.stopped) informer.start().catch(() => {});
      }, options.retryMs ?? 5000).unref();
    });
    await informer.start().catch(() => {});
    sync.timer = setInterval(() => {
      for (const o of informer.list()) sync.serial(() => sync.writeStatus(o));
    }, options.statusIntervalMs ?? 2000);
    sync.timer.unref();
    return sync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.informer?.stop();
    await this.chain;
  }

  private serial(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: unknown) => this.options.log?.(`kubernetes HTTPRoutes: ${(err as Error).message}`));
  }

  private async reconcile(object: HttpRouteObject): Promise<void> {
    const { name, namespace = 'default', creationTimestamp, generation } = object.metadata ?? {};
    if (!name) return;
    const parsed = parseHttpRouteSpec(object.spec);
    if (parsed.ok && parsed.spec.parentRefs.some(isServiceParent)) {
      this.table.set({ namespace, name, createdAt: creationTimestamp ? new Date(creationTimestamp).toISOString() : '', generation, spec: parsed.spec });
    } else {
      this.table.delete(namespace, name);
    }
    await this.writeStatus(object);
  }

  /** The status our parents (Services) get; other controllers' entries are kept as they are. */
  private async writeStatus(object: HttpRouteObject): Promise<void> {
    const { name = '', namespace = 'default', generation } = object.metadata ?? {};
    const parsed = parseHttpRouteSpec(object.spec);
    const previous = object.status?.parents ?? [];
    const ours = parsed.ok
      ? parsed.spec.parentRefs.filter(isServiceParent).map((parent) => this.parentStatus(parent, parsed.spec, namespace, generation, previous))
      : rawServiceParents(object.spec).map((parent) => ({
          parentRef: parent,
          controllerName: CONTROLLER_NAME,
          conditions: [
            condition('Accepted', false, 'UnsupportedValue', parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; '), generation, previous, parent),
            condition('ResolvedRefs', false, 'UnsupportedValue', 'the route is not accepted', generation, previous, parent),
          ],
        }));
    if (ours.length === 0) return;
    const parents = [...previous.filter((p) => p.controllerName !== CONTROLLER_NAME), ...ours];
    if (JSON.stringify(stripTimes(parents)) === JSON.stringify(stripTimes(previous))) return;
    try {
      await this.api.replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
        body: { ...object, status: { ...object.status, parents } },
        fieldManager: FIELD_MANAGER,
      });
    } catch (err) {
      if (apiStatus(err) !== 409 && apiStatus(err) !== 404) this.options.log?.(`could not write the status of HTTPRoute ${namespace}/${name}: ${apiMessage(err)}`);
    }
  }

  private parentStatus(parent: ParentRef, spec: HttpRouteSpec, namespace: string, generation: number | undefined, previous: RouteParentStatus[]): RouteParentStatus {
    const problems: { reason: string; message: string }[] = [];
    spec.rules.forEach((rule, r) =>
      rule.backendRefs.forEach((b, i) => {
        const where = `spec.rules[${r}].backendRefs[${i}]`;
        if (b.kind !== 'Service' || (b.group !== '' && b.group !== 'core')) problems.push({ reason: 'InvalidKind', message: `${where}: only Services can be backends (got ${b.group || 'core'}/${b.kind})` });
        else if (b.namespace && b.namespace !== namespace) problems.push({ reason: 'RefNotPermitted', message: `${where}: backends in another namespace (${b.namespace}) need a ReferenceGrant, which Trellis does not read yet` });
        else if (!this.serviceExists(serviceKey(b.name, namespace))) problems.push({ reason: 'BackendNotFound', message: `${where}: Service ${b.name} has no endpoints the mesh knows of and is not declared` });
      }),
    );
    const ref = { group: parent.group, kind: parent.kind, name: parent.name, ...(parent.namespace ? { namespace: parent.namespace } : {}), ...(parent.port ? { port: parent.port } : {}) };
    const first = problems[0];
    return {
      parentRef: ref,
      controllerName: CONTROLLER_NAME,
      conditions: [
        condition('Accepted', true, 'Accepted', `compiled into the snapshots of ${parent.name}'s callers`, generation, previous, ref),
        first
          ? condition('ResolvedRefs', false, first.reason, problems.map((p) => p.message).join('; '), generation, previous, ref)
          : condition('ResolvedRefs', true, 'ResolvedRefs', 'every backendRef resolved', generation, previous, ref),
      ],
    };
  }
}

function condition(
  type: RouteCondition['type'],
  ok: boolean,
  reason: string,
  message: string,
  generation: number | undefined,
  previous: RouteParentStatus[],
  parent: Partial<ParentRef>,
): RouteCondition {
  const status = ok ? 'True' : 'False';
  const old = previous.find((p) => p.controllerName === CONTROLLER_NAME && p.parentRef.name === parent.name)?.conditions.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old?.status === status ? old.lastTransitionTime : new Date().toISOString(),
  };
}

/** Service parentRefs of a spec that did not validate, as far as they can be read. */
function rawServiceParents(spec: unknown): Partial<ParentRef>[] {
  const refs = (spec as { parentRefs?: unknown } | undefined)?.parentRefs;
  if (!Array.isArray(refs)) return [];
  return refs.filter((r): r is Partial<ParentRef> => !!r && typeof r === 'object' && (r as { kind?: unknown }).kind === 'Service');
}

function stripTimes(parents: RouteParentStatus[]): unknown {
  return parents.map((p) => ({ ...p, conditions: p.conditions.map(({ lastTransitionTime: _t, ...c }) => c) }));
}
