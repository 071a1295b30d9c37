import type { Resource } from '@trellis/shared';
import type { ConfigDistributor } from '../compiler/distributor.ts';
import { serviceKey } from '../discovery/registry.ts';
import type { StreamServer } from '../stream/server.ts';

/** Kinds a service's own proxies apply (inbound); every other policy is applied by its callers' proxies. */
const INBOUND_KINDS = new Set(['Service', 'RateLimitPolicy', 'CachePolicy', 'AuthorizationPolicy', 'MutualTLSPolicy']);

/**
 * How many connected proxies run the current config for `resource` (the `proxies` column of `kubectl get`):
 * in sync with their service's snapshot, and that snapshot is one the resource shapes: the target's own
 * proxies for inbound kinds, proxies whose snapshot has the target as an outbound service otherwise.
 */
export function countProxiesRunning(resource: Resource, stream: StreamServer, distributor: ConfigDistributor): number {
  const target = (resource.spec as { targetRef?: { kind: string; name?: string; namespace?: string } }).targetRef;
  const namespace = target?.namespace ?? resource.metadata.namespace;
  const name = resource.kind === 'Service' ? resource.metadata.name : target?.kind === 'Service' ? target.name : undefined;
  let count = 0;
  for (const p of stream.list()) {
    if (!p.connected || !p.inSync) continue;
    if (!name) {
      // A namespace- or mesh-wide policy: every proxy it covers.
      if (target?.kind === 'Mesh' || p.namespace === namespace) count++;
      continue;
    }
    if (INBOUND_KINDS.has(resource.kind)) {
      if (p.service === name && p.namespace === namespace) count++;
      continue;
    }
    const snapshot = distributor.group(serviceKey(p.service, p.namespace))?.snapshot;
    if (snapshot?.outbound.services.some((s) => s.name === name && s.namespace === namespace)) count++;
  }
  return count;
}
