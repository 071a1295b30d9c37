import { createHash } from 'node:crypto';
import { spiffeId, type OutboundService, type ServiceRoute, type Snapshot } from '@trellis/shared';
import { serviceKey, type EndpointRegistry, type ServiceKey } from '../discovery/registry.ts';
import type { PolicyIndex } from './policy-index.ts';
import type { GatewayRoute, GatewayRouteTable } from '../gateway/route-table.ts';
import {
  DEFAULT_LOAD_BALANCER,
  compileAuthorization,
  compileCache,
  compileCircuitBreaker,
  compileFault,
  compileLoadBalancer,
  compileMirror,
  compileRateLimit,
  compileRetry,
  compileScaleFromZero,
  compileSplit,
  compileTimeout,
} from './policies.ts';

export type SnapshotBody = Omit<Snapshot, 'version' | 'digest' | 'createdAt'>;

export interface MeshSettings {
  /** Trace sampling for services whose Service resource does not set one. */
  defaultSampling: number;
  redisUrl?: string | undefined;
  /** The SPIFFE trust domain: service names in AuthorizationPolicy resolve to identities in it. */
  trustDomain: string;
}

const CATCH_ALL: ServiceRoute = { name: 'default', match: {} };

/**
 * Every service the mesh knows: declared by a Service resource, discovered with endpoints, or targeted
 * by a policy (so the policy is in place in callers' proxies before the service's first endpoint comes).
 */
export function knownServices(index: PolicyIndex, registry: EndpointRegistry, gateway?: GatewayRouteTable): ServiceKey[] {
  return [...new Set([...index.services.keys(), ...registry.serviceKeys(), ...index.targets(), ...(gateway?.parents() ?? [])])].sort();
}

/**
 * What the snapshots of one compile round share: the known services, and each outbound service as
 * callers in one namespace see it. A round over every group computed these once per group before, and
 * at thousands of proxies that was most of the control plane's time (--cpu-prof of bench:config-push).
 */
export class CompileRound {
  private known: ServiceKey[] | undefined;
  private readonly outbound = new Map<string, OutboundService>();

  constructor(
    private readonly index: PolicyIndex,
    private readonly registry: EndpointRegistry,
    private readonly gateway?: GatewayRouteTable,
  ) {}

  knownServices(): ServiceKey[] {
    return (this.known ??= knownServices(this.index, this.registry, this.gateway));
  }

  /** The service `key` as callers in `callerNamespace` see it (their hostnames differ). */
  outboundService(key: ServiceKey, callerNamespace: string): OutboundService {
    const id = `${callerNamespace}/${key}`;
    let compiled = this.outbound.get(id);
    if (!compiled) this.outbound.set(id, (compiled = outboundService(key, callerNamespace, this.index, this.registry, this.gateway?.routesFor(key) ?? [])));
    return compiled;
  }
}

/**
 * The config one proxy of `name.namespace` needs: the services it may call (its Service's egress list,
 * or all), with their endpoints, routes and the policies callers apply; and its own inbound policies.
 * `round` shares work between the snapshots of one round (one is made when not given).
 */
export function compileSnapshot(
  name: string,
  namespace: string,
  index: PolicyIndex,
  registry: EndpointRegistry,
  mesh: MeshSettings,
  gateway?: GatewayRouteTable,
  round = new CompileRound(index, registry, gateway),
): SnapshotBody {
  const self = serviceKey(name, namespace);
  const own = index.services.get(self);
  const egress = own?.spec.egress;
  // An egress entry is "name.namespace", or a name in the caller's namespace (names hold no dots).
  const allowed = !egress || egress.includes('*') ? undefined : new Set(egress.map((e) => (e.includes('.') ? e : serviceKey(e, namespace))));
  const outbound = round
    .knownServices()
    .filter((key) => !allowed || allowed.has(key))
    .map((key) => round.outboundService(key, namespace));
  const inboundRoutes = [...(own?.spec.routes ?? []), CATCH_ALL].map((route) => {
    const rateLimit = index.policyFor('RateLimitPolicy', self, route.name);
    const cache = index.policyFor('CachePolicy', self, route.name);
    return {
      name: route.name,
      match: route.match,
      policies: {
        ...(rateLimit ? { rateLimit: compileRateLimit(rateLimit) } : {}),
        ...(cache ? { cache: compileCache(cache) } : {}),
      },
    };
  });
  const sources = (from: string) => resolveSource(from, namespace, registry, mesh.trustDomain);
  return {
    service: { name, namespace },
    inbound: {
      routes: inboundRoutes,
      authorization: index.allOf('AuthorizationPolicy', self).map((p) => compileAuthorization(p, sources)),
      mtls: index.mtlsMode(self),
    },
    outbound: { services: outbound },
    tracing: { sampling: own?.spec.tracing?.sampling ?? mesh.defaultSampling },
    mesh: mesh.redisUrl ? { redisUrl: mesh.redisUrl } : {},
  };
}

function outboundService(key: ServiceKey, callerNamespace: string, index: PolicyIndex, registry: EndpointRegistry, gatewayRoutes: readonly GatewayRoute[]): OutboundService {
  const [name, namespace] = key.split('.') as [string, string];
  const declared = index.services.get(key);
  // HTTPRoutes attached to the service (GAMMA) come first, in Gateway API precedence; then its own routes.
  const own: { name: string; match: ServiceRoute['match']; gateway?: GatewayRoute }[] = [...(declared?.spec.routes ?? []), CATCH_ALL];
  const routes = [...gatewayRoutes.map((g) => ({ name: g.name, match: g.match, gateway: g })), ...own].map((route) => {
    const gateway = route.gateway;
    const split = index.policyFor('TrafficSplit', key, route.name);
    const retry = index.policyFor('RetryPolicy', key, route.name);
    const timeout = index.policyFor('TimeoutPolicy', key, route.name);
    const fault = index.policyFor('FaultPolicy', key, route.name);
    const mirror = index.policyFor('MirrorPolicy', key, route.name);
    const compiledRetry = retry ? compileRetry(retry) : undefined;
    // HTTPRoute timeouts: request bounds the whole exchange; backendRequest each try (or the whole, without retries).
    const backendMs = gateway?.backendRequestMs;
    const requestMs = gateway?.requestMs ?? (compiledRetry ? undefined : backendMs);
    return {
      name: route.name,
      match: route.match,
      policies: {
        ...(gateway?.split ? { split: gateway.split } : split ? { split: compileSplit(split) } : {}),
        ...(compiledRetry ? { retry: backendMs && compiledRetry ? { ...compiledRetry, perTryTimeoutMs: backendMs } : compiledRetry } : {}),
        ...(requestMs ? { timeout: { requestMs } } : timeout ? { timeout: compileTimeout(timeout) } : {}),
        ...(fault ? { fault: compileFault(fault) } : {}),
        ...(mirror ? { mirror: compileMirror(mirror) } : {}),
        ...(gateway?.requestHeaders ? { requestHeaders: gateway.requestHeaders } : {}),
      },
    };
  });
  const circuitBreaker = index.policyFor('CircuitBreakerPolicy', key);
  const loadBalancer = index.policyFor('LoadBalancerPolicy', key);
  const scaleToZero = index.policyFor('ScaleToZeroPolicy', key);
  // Callers use mutual TLS to endpoints whose proxy has a certificate, unless the service turned it off.
  const mtls = index.mtlsMode(key) !== 'DISABLE';
  const fqdn = `${name}.${namespace}.svc.cluster.local`;
  const hostnames = [`${name}.${namespace}`, `${name}.${namespace}.svc`, fqdn];
  if (namespace === callerNamespace) hostnames.unshift(name);
  return {
    name,
    namespace,
    hostnames,
    endpoints: registry.endpoints(key).map(({ address, port, zone, labels, instance, identity }) => ({
      address,
      port,
      ...(zone ? { zone } : {}),
      labels,
      ...(instance ? { instance } : {}),
      ...(mtls && identity ? { identity } : {}),
    })),
    routes,
    ...(circuitBreaker ? { circuitBreaker: compileCircuitBreaker(circuitBreaker) } : {}),
    loadBalancer: loadBalancer ? compileLoadBalancer(loadBalancer) : DEFAULT_LOAD_BALANCER,
    ...(scaleToZero ? { scaleFromZero: compileScaleFromZero(scaleToZero) } : {}),
  };
}

/**
 * An AuthorizationPolicy source as the proxy matches it: "*", "external" and identity patterns as
 * written; a service name ("cart" in `namespace`, or "cart.shop") becomes the identities its proxies
 * hold: the one its name gives outside Kubernetes, and any other its endpoints were seen with.
 */
export function resolveSource(from: string, namespace: string, registry: EndpointRegistry, trustDomain: string): string[] {
  if (from === '*' || from === 'external' || from.startsWith('spiffe://')) return [from];
  const [svc = from, ns = namespace] = from.split('.');
  const seen = registry.endpoints(serviceKey(svc, ns)).flatMap((e) => (e.identity ? [e.identity] : []));
  return [...new Set([spiffeId(trustDomain, ns, svc), ...seen])];
}

/** sha256 of the snapshot body: proxies with equal digests run equal config. */
export function digestOf(body: SnapshotBody): string {
  return digestOfJson(JSON.stringify(body));
}

/** digestOf for a body already serialized (JSON.stringify(body)). */
export function digestOfJson(bodyJson: string): string {
  return createHash('sha256').update(bodyJson).digest('hex');
}
