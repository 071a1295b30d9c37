// The request path, in order. Each filter is `createX(config) => Middleware | null` (null: nothing to do
// for this config, so it costs nothing); chains are built once per snapshot and swapped whole.
//
// inbound  (callers -> this workload's app):
//   request context -> router(route match) -> authorization -> rate limit -> cache -> app call
// outbound (this workload's app -> other services):
//   request context -> router(Host -> service, route match) -> scale from zero -> request headers -> fault -> timeout
//   -> mirror -> split -> retry -> circuit breaker -> endpoint call (balancer + outlier feedback + upstream attempt)
import { performance } from 'node:perf_hooks';
import type { OutboundService, Snapshot } from '@trellis/shared';
import { createBalancer, EndpointSet, type Balancer } from './balancer/index.ts';
import { compileMatch } from './config/match.ts';
import { createAppCall, type AppProtocol } from './filters/app-call.ts';
import { createAuthorization } from './filters/authorization.ts';
import type { CacheRegistry } from './cache/registry.ts';
import { createCache } from './filters/cache.ts';
import { createCircuitBreaker } from './filters/circuit-breaker.ts';
import { createEndpointCall } from './filters/endpoint-call.ts';
import { createFault } from './filters/fault.ts';
import { createMirror } from './filters/mirror.ts';
import { createRateLimit } from './filters/rate-limit.ts';
import { createRequestContext } from './filters/request-context.ts';
import { createRequestHeaders } from './filters/request-headers.ts';
import { createRetry } from './filters/retry.ts';
import { createScaleFromZero } from './filters/scale-from-zero.ts';
import { SAFE_RETRY } from './upstream/defaults.ts';
import { createInboundRouter, createOutboundRouter, hostName, type RouteEntry, type ServiceEntry } from './filters/router.ts';
import { createSplit } from './filters/split.ts';
import { createTimeout } from './filters/timeout.ts';
import { proxyError } from './http/response.ts';
import type { ProxyResponse } from './http/response.ts';
import { compose, type Handler, type ProxyRequest } from './http/types.ts';
import type { LimiterRegistry } from './ratelimit/registry.ts';
import type { Tracer } from './telemetry/tracer.ts';
import type { ColdStarts } from './upstream/cold-start.ts';
import type { EndpointState } from './upstream/endpoint.ts';
import type { UpstreamRegistry, UpstreamService } from './upstream/service.ts';

/** What chains are built from besides the snapshot: the workload's long-lived state. */
export interface ChainDeps {
  /** This workload: "name.namespace", its namespace, zone. */
  self: string;
  namespace: string;
  zone: string | undefined;
  app: EndpointState | undefined;
  appProtocol: AppProtocol;
  upstreams: UpstreamRegistry;
  limiters: LimiterRegistry;
  caches: CacheRegistry;
  tracer: Tracer;
  /** Requests held for services scaled to zero, across snapshots. */
  coldStarts: ColdStarts;
}

/** The checks an inbound upgrade passes before it is tunnelled to the app. */
export function buildInboundUpgradeCheck(snapshot: Snapshot, deps: ChainDeps): Handler {
  return compose(
    [
      createRequestContext({ side: 'inbound', self: deps.self, sampling: snapshot.tracing.sampling }),
      createAuthorization(snapshot.inbound.authorization, deps.namespace),
    ],
    (req) => {
      if (!deps.app) return Promise.resolve(proxyError('no-local-app', 'this proxy was started without --app-port'));
      req.upstream = deps.app.key;
      return Promise.resolve(UPGRADE_ALLOWED);
    },
  );
}

export function buildInboundChain(snapshot: Snapshot, deps: ChainDeps): Handler {
  const appCall = createAppCall(deps.app, deps.appProtocol);
  const routes: RouteEntry[] = snapshot.inbound.routes.map((route) => ({
    name: route.name,
    matches: compileMatch(route.match),
    handle: compose(
      [
        createAuthorization(snapshot.inbound.authorization, deps.namespace),
        createRateLimit(route.policies.rateLimit, deps.limiters, snapshot.mesh.redisUrl),
        createCache(route.policies.cache, deps.caches.get(route.name, route.policies.cache)),
      ],
      appCall,
    ),
  }));
  return compose(
    [createRequestContext({ side: 'inbound', self: deps.self, sampling: snapshot.tracing.sampling })],
    createInboundRouter(routes, deps.self),
  );
}

/**
 * The answer an upgrade (WebSocket) check gives when the tunnel may open; req.upstream then names the
 * endpoint. Upgrades get request context, authorization and balancing, not the per-request policies.
 */
export const UPGRADE_ALLOWED: ProxyResponse = { status: 101, headers: {}, body: null };

function outboundRoutes(
  service: OutboundService,
  upstream: UpstreamService,
  deps: ChainDeps,
  all: EndpointSet,
  balancer: Balancer,
  upstreams: ReadonlyMap<string, UpstreamService>,
): RouteEntry[] {
  const endpointCall = createEndpointCall({ service: upstream, all, balancer, tracer: deps.tracer });
  return service.routes.map((route) => {
    const p = route.policies;
    const backends = (p.split?.backends ?? []).map((b) => ({
      name: b.name,
      weight: b.weight,
      // An HTTPRoute backendRef names another service: its endpoints (none when this proxy does not know it).
      targets: EndpointSet.select(b.service ? (upstreams.get(b.service)?.list ?? []) : upstream.list, b.selector, deps.zone),
    }));
    const mirrorTargets = p.mirror ? EndpointSet.select(upstream.list, p.mirror.selector, deps.zone) : all;
    return {
      name: route.name,
      matches: compileMatch(route.match),
      handle: compose(
        [
          createScaleFromZero(service.scaleFromZero, upstream, deps.coldStarts),
          createRequestHeaders(p.requestHeaders),
          createFault(p.fault),
          createTimeout(p.timeout),
          createMirror(p.mirror, mirrorTargets, balancer),
          createSplit(p.split, backends),
          // Without a RetryPolicy, a request without a body that reached no app gets one more try elsewhere.
          p.retry ? createRetry(p.retry) : createRetry(SAFE_RETRY, false),
          createCircuitBreaker(service.circuitBreaker, upstream),
        ],
        endpointCall,
      ),
    };
  });
}

/** `router`: the chain after request context, where requests held for a service scaled to zero resume. */
export function buildOutboundChain(snapshot: Snapshot, deps: ChainDeps): { handle: Handler; upgrade: Handler; router: Handler } {
  const upstreams = deps.upstreams.sync(snapshot.outbound.services);
  const byHost = new Map<string, ServiceEntry>();
  const pickers = new Map<string, (req: ProxyRequest) => EndpointState | undefined>();
  for (const service of snapshot.outbound.services) {
    const key = `${service.name}.${service.namespace}`;
    const upstream = upstreams.get(key);
    if (!upstream) continue;
    const all = new EndpointSet(upstream.list, deps.zone);
    const balancer = createBalancer(service.loadBalancer);
    const entry: ServiceEntry = { key, routes: outboundRoutes(service, upstream, deps, all, balancer, upstreams) };
    const pick = (req: ProxyRequest) => balancer(all, req, performance.now());
    for (const host of service.hostnames) {
      byHost.set(host.toLowerCase(), entry);
      pickers.set(host.toLowerCase(), pick);
    }
  }
  const context = createRequestContext({ side: 'outbound', self: deps.self, sampling: snapshot.tracing.sampling });
  const router = createOutboundRouter(byHost);
  const handle = compose([context], router);
  const upgrade = compose([context], (req) => {
    const host = hostName(req.header('host'));
    const pick = pickers.get(host);
    if (!pick) return Promise.resolve(proxyError('unknown-service', `no service named "${host}" in this proxy's configuration (Host header)`));
    const endpoint = pick(req);
    if (!endpoint) return Promise.resolve(proxyError('no-healthy-endpoint', `${byHost.get(host)?.key ?? host} has no available endpoint`));
    const tls = endpoint.tunnelTls();
    if (tls === null) return Promise.resolve(proxyError('no-certificate', `${endpoint.key} takes only mutual TLS; waiting for a certificate from the control plane`));
    req.destination = byHost.get(host)?.key ?? host;
    req.upstream = endpoint.key;
    req.upstreamTls = tls;
    req.mtls = tls !== undefined;
    return Promise.resolve(UPGRADE_ALLOWED);
  });
  return { handle, upgrade, router };
}
