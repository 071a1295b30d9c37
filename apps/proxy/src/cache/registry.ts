import type { CompiledCache } from '@trellis/shared';
import { CacheStore } from './store.ts';

/** The caches of one workload, by route, kept across snapshots while the route keeps a CachePolicy. */
export class CacheRegistry {
  private stores = new Map<string, CacheStore>();
  private seen = new Set<string>();

  begin(): void {
    this.seen = new Set();
  }

  get(route: string, policy: CompiledCache | undefined): CacheStore | undefined {
    if (!policy) return undefined;
    this.seen.add(route);
    let store = this.stores.get(route);
    if (store) store.limits = policy;
    else this.stores.set(route, (store = new CacheStore(policy)));
    return store;
  }

  end(): void {
    for (const route of this.stores.keys()) if (!this.seen.has(route)) this.stores.delete(route);
  }
}
