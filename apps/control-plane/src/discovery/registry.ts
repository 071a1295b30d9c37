import { EventEmitter } from 'node:events';
import type { Endpoint } from '@trellis/shared';

/** "name.namespace" */
export type ServiceKey = string;

export const serviceKey = (name: string, namespace: string): ServiceKey => `${name}.${namespace}`;

export interface DiscoveredEndpoint extends Endpoint {
  service: string;
  namespace: string;
  /** Which source reported it: "proxy" (a proxy's hello) or "kubernetes". */
  source: 'proxy' | 'kubernetes';
}

/**
 * Endpoints of every service, merged from discovery sources. Each source replaces its own set for a
 * service (or adds/removes one endpoint); 'change' fires with the affected service keys.
 */
export class EndpointRegistry extends EventEmitter {
  // service key -> endpoint id (source:address:port) -> endpoint
  private readonly services = new Map<ServiceKey, Map<string, DiscoveredEndpoint>>();

  /** Adds or refreshes one endpoint. */
  upsert(endpoint: DiscoveredEndpoint): void {
    const key = serviceKey(endpoint.service, endpoint.namespace);
    const id = endpointId(endpoint);
    let set = this.services.get(key);
    if (!set) this.services.set(key, (set = new Map()));
    const before = set.get(id);
    set.set(id, endpoint);
    if (!before || JSON.stringify(before) !== JSON.stringify(endpoint)) this.emit('change', [key]);
  }

  remove(endpoint: Pick<DiscoveredEndpoint, 'service' | 'namespace' | 'source' | 'address' | 'port'>): void {
    const key = serviceKey(endpoint.service, endpoint.namespace);
    const set = this.services.get(key);
    if (set?.delete(endpointId(endpoint))) {
      if (set.size === 0) this.services.delete(key);
      this.emit('change', [key]);
    }
  }

  /** Replaces every endpoint one source knows for one service (a Kubernetes EndpointSlice sync). */
  replaceSource(source: DiscoveredEndpoint['source'], name: string, namespace: string, endpoints: DiscoveredEndpoint[]): void {
    const key = serviceKey(name, namespace);
    const set = this.services.get(key) ?? new Map<string, DiscoveredEndpoint>();
    const before = JSON.stringify([...set.values()].filter((e) => e.source === source));
    for (const [id, e] of set) if (e.source === source) set.delete(id);
    for (const e of endpoints) set.set(endpointId(e), e);
    if (set.size === 0) this.services.delete(key);
    else this.services.set(key, set);
    if (before !== JSON.stringify(endpoints)) this.emit('change', [key]);
  }

  endpoints(key: ServiceKey): DiscoveredEndpoint[] {
    const set = this.services.get(key);
    if (!set) return [];
    return [...set.values()].sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  }

  serviceKeys(): ServiceKey[] {
    return [...this.services.keys()].sort();
  }
}

function endpointId(e: Pick<DiscoveredEndpoint, 'source' | 'address' | 'port'>): string {
  return `${e.source}:${e.address}:${e.port}`;
}
