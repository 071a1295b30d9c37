import type { RequestMatcher } from '../config/match.ts';
import { proxyError } from '../http/response.ts';
import type { Handler, ProxyRequest } from '../http/types.ts';
import { UNKNOWN_DESTINATION } from '../telemetry/edges.ts';

/** A route of a chain: its match and the handler built from its policies. */
export interface RouteEntry {
  name: string;
  matches: RequestMatcher;
  handle: Handler;
}

/** An upstream service as the outbound router sees it. */
export interface ServiceEntry {
  /** "name.namespace" */
  key: string;
  routes: readonly RouteEntry[];
}

function dispatch(routes: readonly RouteEntry[], req: ProxyRequest, where: string) {
  for (const route of routes) {
    if (route.matches(req)) {
      req.route = route.name;
      return route.handle(req);
    }
  }
  return Promise.resolve(proxyError('no-route', `no route of ${where} matches ${req.method} ${req.path}`));
}

/** Inbound: the first route of this workload that matches (the last one is the catch-all "default"). */
export function createInboundRouter(routes: readonly RouteEntry[], self: string): Handler {
  return (req) => dispatch(routes, req, self);
}

/** "reviews.shop:9080" -> "reviews.shop"; the Host header may carry a port. */
export function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  const colon = host.lastIndexOf(':');
  const name = colon !== -1 && !host.endsWith(']') ? host.slice(0, colon) : host;
  return name.toLowerCase();
}

/**
 * Outbound: the destination service comes from the Host header ("reviews", "reviews.shop",
 * "reviews.shop.svc.cluster.local", optionally with a port); then the first of its routes that matches.
 */
export function createOutboundRouter(byHost: ReadonlyMap<string, ServiceEntry>): Handler {
  return (req) => {
    const host = hostName(req.header('host'));
    const service = byHost.get(host);
    if (!service) {
      req.destination = UNKNOWN_DESTINATION;
      return Promise.resolve(proxyError('unknown-service', `no service named "${host}" in this proxy's configuration (Host header)`));
    }
    req.destination = service.key;
    return dispatch(service.routes, req, service.key);
  };
}
