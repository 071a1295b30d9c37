import type { RequestMatcher } from '../config/match.ts';
import { proxyError } from '../http/response.ts';
import type { Handler, ProxyRequest, RouteChoice } from '../http/types.ts';
import { UNKNOWN_DESTINATION } from '../telemetry/edges.ts';

/** A route of a chain: where it goes (set on the requests it takes), its match, and the handler built from its policies. */
export interface RouteEntry {
  route: RouteChoice;
  matches: RequestMatcher;
  handle: Handler;
}

/** An upstream service as the outbound router sees it. */
export interface ServiceEntry {
  /** "name.namespace" */
  key: string;
  routes: readonly RouteEntry[];
  /** The route a request to this service that no route matches is counted under. */
  unmatched: RouteChoice;
}

/** A request for a service the outbound side does not know. */
const UNKNOWN_SERVICE: RouteChoice = { destination: UNKNOWN_DESTINATION, name: 'unmatched' };

export const unmatched = (destination: string): RouteChoice => ({ destination, name: 'unmatched' });

function dispatch(routes: readonly RouteEntry[], req: ProxyRequest, none: RouteChoice, where: string) {
  for (const entry of routes) {
    if (entry.matches(req)) {
      req.route = entry.route;
      return entry.handle(req);
    }
  }
  req.route = none;
  return Promise.resolve(proxyError('no-route', `no route of ${where} matches ${req.method} ${req.path}`));
}

/** Inbound: the first route of this workload that matches (the last one is the catch-all "default"). */
export function createInboundRouter(routes: readonly RouteEntry[], self: string): Handler {
  const none = unmatched(self);
  return (req) => dispatch(routes, req, none, self);
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
      req.route = UNKNOWN_SERVICE;
      return Promise.resolve(proxyError('unknown-service', `no service named "${host}" in this proxy's configuration (Host header)`));
    }
    return dispatch(service.routes, req, service.unmatched, service.key);
  };
}
