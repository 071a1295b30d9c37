import type { Resource, ResourceKind, ResourceOf } from '@trellis/shared';
import { serviceKey, type ServiceKey } from '../discovery/registry.ts';

type PolicyKind = Exclude<ResourceKind, 'Service'>;

/**
 * Resources arranged for compiling: Service resources by key, and policies by the service they target.
 * When several policies of one kind target the same service and route, the oldest wins (then the name),
 * the Gateway API's rule, so adding a policy never silently overrides one already in force.
 */
export class PolicyIndex {
  readonly services = new Map<ServiceKey, ResourceOf<'Service'>>();
  private readonly byTarget = new Map<ServiceKey, Resource[]>();

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
      const key = serviceKey(target.name, target.namespace ?? r.metadata.namespace);
      const list = this.byTarget.get(key) ?? [];
      list.push(r);
      this.byTarget.set(key, list);
    }
  }

  /** The policy of `kind` for a service's route: route-level first, then service-level. */
  policyFor<K extends PolicyKind>(kind: K, service: ServiceKey, route?: string): ResourceOf<K> | undefined {
    const list = this.byTarget.get(service) ?? [];
    const match = (wantRoute: string | undefined) =>
      list.find((r) => r.kind === kind && (r.spec as { targetRef: { route?: string } }).targetRef.route === wantRoute);
    return ((route ? match(route) : undefined) ?? match(undefined)) as ResourceOf<K> | undefined;
  }

  /** Every policy of `kind` targeting a service (any route). */
  allOf<K extends PolicyKind>(kind: K, service: ServiceKey): ResourceOf<K>[] {
    return (this.byTarget.get(service) ?? []).filter((r) => r.kind === kind) as ResourceOf<K>[];
  }

  /** Services that policies target, whether or not they are declared or have endpoints yet. */
  targets(): ServiceKey[] {
    return [...this.byTarget.keys()];
  }

  /** Every policy targeting a service, for the dashboard's badges. */
  policiesOf(service: ServiceKey): Resource[] {
    return this.byTarget.get(service) ?? [];
  }
}
