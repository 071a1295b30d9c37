import { EventEmitter } from 'node:events';
import { parseDuration, type CompiledHeaderModifier, type CompiledSplit, type RouteMatch } from '@trellis/shared';
import { serviceKey, type ServiceKey } from '../discovery/registry.ts';
import { isServiceParent, type HttpRoute } from './http-route.ts';

/** One (rule, match) pair of an HTTPRoute, compiled for the Service it is attached to. */
export interface GatewayRoute {
  /** Unique in the service: `<route>-r<rule>-m<match>` (proxies' metrics and traces name it). */
  name: string;
  match: RouteMatch;
  split?: CompiledSplit;
  requestHeaders?: CompiledHeaderModifier;
  requestMs?: number;
  backendRequestMs?: number;
}

/**
 * The accepted HTTPRoutes of the mesh, by the Service they attach to, in Gateway API precedence order.
 * Emits 'change' when a route comes, changes or goes, so the distributor recompiles.
 */
export class GatewayRouteTable extends EventEmitter {
  private readonly routes = new Map<string, HttpRoute>();
  private byService = new Map<ServiceKey, GatewayRoute[]>();

  set(route: HttpRoute): void {
    this.routes.set(`${route.namespace}/${route.name}`, route);
    this.rebuild();
  }

  delete(namespace: string, name: string): void {
    if (this.routes.delete(`${namespace}/${name}`)) this.rebuild();
  }

  /** Services HTTPRoutes attach to: callers get config for them even before they have endpoints. */
  parents(): ServiceKey[] {
    return [...this.byService.keys()];
  }

  /** The routes a caller's proxy applies for `service`, most specific first. */
  routesFor(service: ServiceKey): readonly GatewayRoute[] {
    return this.byService.get(service) ?? [];
  }

  private rebuild(): void {
    const entries = new Map<ServiceKey, { route: GatewayRoute; rank: Rank }[]>();
    for (const route of this.routes.values()) {
      for (const parent of route.spec.parentRefs.filter(isServiceParent)) {
        const key = serviceKey(parent.name, parent.namespace ?? route.namespace);
        const list = entries.get(key) ?? [];
        entries.set(key, list);
        route.spec.rules.forEach((rule, r) => {
          rule.matches.forEach((match, m) => {
            const backends = rule.backendRefs.filter((b) => b.kind === 'Service' && (b.group === '' || b.group === 'core'));
            const headerFilter = rule.filters.find((f) => f.type === 'RequestHeaderModifier')?.requestHeaderModifier;
            const requestMs = rule.timeouts?.request ? parseDuration(rule.timeouts.request) : undefined;
            const backendRequestMs = rule.timeouts?.backendRequest ? parseDuration(rule.timeouts.backendRequest) : undefined;
            list.push({
              rank: rankOf(match, route, r, m),
              route: {
                name: `${route.name}-r${r}-m${m}`,
                match,
                ...(backends.length
                  ? {
                      split: {
                        backends: backends.map((b) => {
                          const backend = serviceKey(b.name, b.namespace ?? route.namespace);
                          // The parent itself as a backend means its own endpoints.
                          return { name: b.name, selector: {}, weight: b.weight, ...(backend === key ? {} : { service: backend }) };
                        }),
                      },
                    }
                  : {}),
                ...(headerFilter ? { requestHeaders: headerFilter } : {}),
                ...(requestMs ? { requestMs } : {}),
                ...(backendRequestMs ? { backendRequestMs } : {}),
              },
            });
          });
        });
      }
    }
    this.byService = new Map([...entries].map(([key, list]) => [key, list.sort((a, b) => compareRank(a.rank, b.rank)).map((e) => e.route)]));
    this.emit('change');
  }
}

/** What Gateway API precedence compares, in order. */
interface Rank {
  /** 2 Exact, 1 PathPrefix, 0 RegularExpression. */
  pathType: number;
  pathLength: number;
  method: number;
  headers: number;
  queryParams: number;
  createdAt: string;
  id: string;
  rule: number;
  match: number;
}

function rankOf(match: RouteMatch, route: HttpRoute, rule: number, index: number): Rank {
  const path = match.path ?? { type: 'PathPrefix', value: '/' };
  return {
    pathType: path.type === 'Exact' ? 2 : path.type === 'PathPrefix' ? 1 : 0,
    pathLength: path.type === 'RegularExpression' ? 0 : path.value.length,
    method: match.method ? 1 : 0,
    headers: match.headers?.length ?? 0,
    queryParams: match.queryParams?.length ?? 0,
    createdAt: route.createdAt,
    id: `${route.namespace}/${route.name}`,
    rule,
    match: index,
  };
}

/**
 * Gateway API's order: an exact path, then the longest prefix, then a method match, then the most header
 * matches, then the most query matches; ties go to the oldest route, then to "namespace/name"
 * alphabetically, then to rule and match order. (Regular-expression paths, whose precedence the spec leaves
 * to implementations, come after prefixes.)
 */
export function compareRank(a: Rank, b: Rank): number {
  return (
    b.pathType - a.pathType ||
    b.pathLength - a.pathLength ||
    b.method - a.method ||
    b.headers - a.headers ||
    b.queryParams - a.queryParams ||
    a.createdAt.localeCompare(b.createdAt) ||
    a.id.localeCompare(b.id) ||
    a.rule - b.rule ||
    a.match - b.match
  );
}
