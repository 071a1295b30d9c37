import { knownServices } from './compiler/compile.ts';
import type { ControlPlaneServices } from './services.ts';

/** Every known service with its endpoints (and their proxies' sync state), routes, versions and policies. */
export function listServices({ distributor, registry, stream }: Pick<ControlPlaneServices, 'distributor' | 'registry' | 'stream'>) {
  const index = distributor.policyIndex;
  const proxies = new Map(stream.list().map((p) => [p.instance, p]));
  return knownServices(index, registry).map((key) => {
    const [name = '', namespace = ''] = key.split('.');
    const declared = index.services.get(key);
    const endpoints = registry.endpoints(key).map((e) => {
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
    const own = [...proxies.values()].filter((p) => p.service === name && p.namespace === namespace && p.connected);
    const expiries = own.flatMap((p) => (p.certificate ? [p.certificate.notAfter] : [])).sort();
    return {
      name,
      namespace,
      declared: !!declared,
      routes: declared?.spec.routes ?? [],
      versions: [...new Set(endpoints.map((e) => e.labels.version).filter((v): v is string => !!v))].sort(),
      endpoints,
      proxies: { total: own.length, inSync: own.filter((p) => p.inSync).length },
      policies: index.policiesOf(key).map((p) => ({ kind: p.kind, name: p.metadata.name, namespace: p.metadata.namespace })),
      security: {
        /** How its proxies take inbound connections (MutualTLSPolicy, STRICT by default). */
        mtlsMode: index.mtlsMode(key),
        /** The SPIFFE IDs its connected proxies proved. */
        identities: [...new Set(own.map((p) => p.identity))].sort(),
        /** The first of its proxies' certificates to expire (null: none holds one). */
        certificateExpiry: expiries[0] ?? null,
      },
    };
  });
}

/**
 * Services that exist as far as the control plane can tell: declared, with discovered endpoints, or with
 * a proxy connected. Unlike knownServices, a service only a policy names (perhaps a typo) is not one.
 */
export function existingServices({ distributor, registry, stream }: Pick<ControlPlaneServices, 'distributor' | 'registry' | 'stream'>): Set<string> {
  return new Set([...distributor.policyIndex.services.keys(), ...registry.serviceKeys(), ...stream.list().map((p) => `${p.service}.${p.namespace}`)]);
}

export type ServiceSummary = ReturnType<typeof listServices>[number];
