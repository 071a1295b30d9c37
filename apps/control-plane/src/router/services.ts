import { serviceKey } from '../discovery/registry.ts';
import { knownServices } from '../compiler/compile.ts';
import { procedure, router } from './trpc.ts';

export const servicesRouter = router({
  /** Known services (declared or discovered) with their endpoints, routes, versions and attached policies. */
  list: procedure.query(({ ctx }) => {
    const index = ctx.distributor.policyIndex;
    const proxies = new Map(ctx.stream.list().map((p) => [p.instance, p]));
    return knownServices(index, ctx.registry).map((key) => {
      const [name, namespace] = key.split('.') as [string, string];
      const declared = index.services.get(serviceKey(name, namespace));
      const endpoints = ctx.registry.endpoints(key).map((e) => {
        const proxy = e.instance ? proxies.get(e.instance) : undefined;
        return {
          address: e.address,
          port: e.port,
          zone: e.zone ?? null,
          labels: e.labels,
          instance: e.instance ?? null,
          source: e.source,
          proxy: proxy ? { connected: proxy.connected, inSync: proxy.inSync, appliedVersion: proxy.appliedVersion } : null,
        };
      });
      return {
        name,
        namespace,
        declared: !!declared,
        routes: declared?.spec.routes ?? [],
        versions: [...new Set(endpoints.map((e) => e.labels.version).filter((v): v is string => !!v))].sort(),
        endpoints,
        policies: index.policiesOf(key).map((p) => ({ kind: p.kind, name: p.metadata.name, namespace: p.metadata.namespace })),
      };
    });
  }),
});
