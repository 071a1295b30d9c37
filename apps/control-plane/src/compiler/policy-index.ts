import type { MtlsMode, Resource, ResourceKind, ResourceOf } from '@trellis/shared';
import { serviceKey, type ServiceKey } from '../discovery/registry.ts';

type PolicyKind = Exclude<ResourceKind, 'Service'>;

/** With no MutualTLSPolicy in force, proxies take only mutual TLS from the mesh. */
export const DEFAULT_MTLS_MODE: MtlsMode = 'STRICT';

/**
 * Resources arranged for compiling: Service resources by key, and policies by what they target (a
 * service; a whole namespace or the mesh for the kinds that allow it). When several policies of one kind
 * target the same service and route, the oldest wins (then the name), the Gateway API's rule, so adding
 * a policy never silently overrides one already in force.
 */
export class PolicyIndex {
  readonly services = new Map<ServiceKey, ResourceOf<'Service'>>();
  private readonly byTarget = new Map<ServiceKey, Resource[]>();
  private readonly byNamespace = new Map<string, Resource[]>();
  private readonly meshWide: Resource[] = [];

  constructor(resources: readonly Resource[]) {
    const sorted = [...resources].sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    for (const r of sorted) {
      if (r.kind === 'Service') {
        this.services.set(serviceKey(r.metadata.name, r.metadata.namespace), r);
        continue;
      }
      const target = r.spec.targetRef;
      if (target.kind === 'Mesh') this.meshWide.push(r);
      else if (target.kind === 'Namespace') push(this.byNamespace, target.name, r);
      else push(this.byTarget, serviceKey(target.name, target.namespace ?? r.metadata.namespace), r);
    }
  }

  /** The policy of `kind` for a service's route: route-level first, then service-level. */
  policyFor<K extends PolicyKind>(kind: K, service: ServiceKey, route?: string): ResourceOf<K> | undefined {
    const list = this.byTarget.get(service) ?? [];
    const match = (wantRoute: string | undefined) =>
      list.find((r) => r.kind === kind && ('route' in r.spec.targetRef ? r.spec.targetRef.route : undefined) === wantRoute);
    return ((route ? match(route) : undefined) ?? match(undefined)) as ResourceOf<K> | undefined;
  }

  /** Every policy of `kind` that applies to a service: aimed at it (any route), at its namespace, or at the mesh. */
  allOf<K extends PolicyKind>(kind: K, service: ServiceKey): ResourceOf<K>[] {
    return this.applying(service).filter((r) => r.kind === kind) as ResourceOf<K>[];
  }

  /** How the service's proxies take inbound connections: the most specific MutualTLSPolicy, else STRICT. */
  mtlsMode(service: ServiceKey): MtlsMode {
    const namespace = namespaceOf(service);
    const pick = (list: readonly Resource[] | undefined) => list?.find((r): r is ResourceOf<'MutualTLSPolicy'> => r.kind === 'MutualTLSPolicy');
    return (pick(this.byTarget.get(service)) ?? pick(this.byNamespace.get(namespace)) ?? pick(this.meshWide))?.spec.mode ?? DEFAULT_MTLS_MODE;
  }

  /** The ScaleToZeroPolicy in force for each service that has one. */
  scaleToZeroPolicies(): Map<ServiceKey, ResourceOf<'ScaleToZeroPolicy'>> {
    const found = new Map<ServiceKey, ResourceOf<'ScaleToZeroPolicy'>>();
    for (const key of this.byTarget.keys()) {
      const policy = this.policyFor('ScaleToZeroPolicy', key);
      if (policy) found.set(key, policy);
    }
    return found;
  }

  /** Services that policies target, whether or not they are declared or have endpoints yet. */
  targets(): ServiceKey[] {
    return [...this.byTarget.keys()];
  }

  /** Every policy that applies to a service, for the dashboard's badges. */
  policiesOf(service: ServiceKey): Resource[] {
    return this.applying(service);
  }

  private applying(service: ServiceKey): Resource[] {
    return [...(this.byTarget.get(service) ?? []), ...(this.byNamespace.get(namespaceOf(service)) ?? []), ...this.meshWide];
  }
}

function push<K>(map: Map<K, Resource[]>, key: K, r: Resource): void {
  const list = map.get(key);
  if (list) list.push(r);
  else map.set(key, [r]);
}

function namespaceOf(service: ServiceKey): string {
  return service.slice(service.indexOf('.') + 1);
}
