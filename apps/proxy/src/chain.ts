// The request path, in order. Each filter is `createX(config) => Middleware | null` (null: nothing to do
// for this config, so it costs nothing); chains are built once per snapshot and swapped whole.
//
// inbound  (callers -> this workload's app):
//   request context -> router(route match) -> authorization -> rate limit -> cache -> app call
// outbound (this workload's app -> other services):
//   request context -> router(Host -> service, route match) -> scale from zero -> request headers -> fault -> timeout
//   -> mirror -> split -> retry -> circuit breaker -> endpoint call (balancer + outlier feedback + upstream attempt)
//   (the split chooses a backend, and each backend has its own retry -> circuit breaker -> endpoint call to its
//   endpoints; without a split there is one, to all of the service's endpoints)
//
// Who writes what on a request (http/types.ts has the whole contract): the listener makes it; request
// context sets the caller (source, identity, trace); the router, then the split, set req.route; each
// filter that learns something for telemetry writes its own field of req.outcome. Per-attempt limits
// (per-try and idle timeouts) are fixed per route here and given to the endpoint call.
import { performance } from 'node:perf_hooks';
import type { CompiledRetry, CompiledTimeout, OutboundService, Snapshot } from '@trellis/shared';
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
import { createRetry, perTryTimeoutOf } from './filters/retry.ts';
import { createScaleFromZero } from './filters/scale-from-zero.ts';
import { SAFE_RETRY } from './upstream/defaults.ts';
import { createInboundRouter, createOutboundRouter, hostName, unmatched, type RouteEntry, type ServiceEntry } from './filters/router.ts';
import { createSplit } from './filters/split.ts';
import { createTimeout } from './filters/timeout.ts';
import { proxyError } from './http/response.ts';
import type { ProxyResponse } from './http/response.ts';
import { compose, type Handler, type ProxyRequest, type RouteChoice } from './http/types.ts';
import type { LimiterRegistry } from './ratelimit/registry.ts';
import type { Tracer } from './telemetry/tracer.ts';
import type { ColdStarts } from './upstream/cold-start.ts';
import type { EndpointState } from './upstream/endpoint.ts';
import type { AttemptTimeouts } from './upstream/call.ts';
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
      req.outcome.upstream = deps.app.key;
      return Promise.resolve(UPGRADE_ALLOWED);
    },
  );
}

export function buildInboundChain(snapshot: Snapshot, deps: ChainDeps): Handler {
  const appCall = createAppCall(deps.app, deps.appProtocol);
  const routes: RouteEntry[] = snapshot.inbound.routes.map((route) => ({
    route: { destination: deps.self, name: route.name },
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
 * The answer an upgrade (WebSocket) check gives when the tunnel may open; req.outcome.upstream then names the
 * endpoint. Upgrades get request context, authorization and balancing, not the per-request policies.
 */
export const UPGRADE_ALLOWED: ProxyResponse = { status: 101, headers: {}, body: null };

/** Each attempt's own limits, fixed per route: the per-try timeout while a policy retries, and the idle timeout inside the body. */
export function attemptTimeouts(retry: CompiledRetry | undefined, timeout: CompiledTimeout | undefined): AttemptTimeouts {
  return { headersTimeoutMs: perTryTimeoutOf(retry), bodyTimeoutMs: timeout?.idleMs };
}

function outboundRoutes(
  service: OutboundService,
  upstream: UpstreamService,
  deps: ChainDeps,
  all: EndpointSet,
  balancer: Balancer,
  upstreams: ReadonlyMap<string, UpstreamService>,
): RouteEntry[] {
  return service.routes.map((route) => {
    const p = route.policies;
    const choice: RouteChoice = { destination: upstream.key, name: route.name };
    const timeouts = attemptTimeouts(p.retry, p.timeout);
    // Without a RetryPolicy, a request without a body that reached no app gets one more try elsewhere.
    // One retry filter (one budget) and one breaker per route, whichever backend a request goes to.
    const retry = p.retry ? createRetry(p.retry) : createRetry(SAFE_RETRY, false);
    const breaker = createCircuitBreaker(service.circuitBreaker, upstream);
    const toEndpoints = (targets: EndpointSet) =>
      compose([retry, breaker], createEndpointCall({ service: upstream, targets, balancer, timeouts, tracer: deps.tracer }));
    const backends = (p.split?.backends ?? []).map((b) => ({
      weight: b.weight,
      route: { ...choice, subset: b.name },
      // An HTTPRoute backendRef names another service: its endpoints (none when this proxy does not know it).
      handle: toEndpoints(EndpointSet.select(b.service ? (upstreams.get(b.service)?.list ?? []) : upstream.list, b.selector, deps.zone)),
    }));
    const mirrorTargets = p.mirror ? EndpointSet.select(upstream.list, p.mirror.selector, deps.zone) : all;
    return {
      route: choice,
      matches: compileMatch(route.match),
      handle: compose(
        [
          createScaleFromZero(service.scaleFromZero, upstream, deps.coldStarts),
          createRequestHeaders(p.requestHeaders),
          createFault(p.fault),
          createTimeout(p.timeout),
          createMirror(p.mirror, mirrorTargets, balancer),
        ],
        createSplit(p.split, backends) ?? toEndpoints(all),
      ),
    };
  });
}

/** `router`: the chain after request context, where requests held for a service scaled to zero resume. */
export function buildOutboundChain(snapshot: Snapshot, deps: ChainDeps): { handle: Handler; upgrade: Handler; router: Handler } {
  const upstreams = deps.upstreams.sync(snapshot.outbound.services);
  const byHost = new Map<string, ServiceEntry>();
  const pickers = new Map<string, { route: RouteChoice; pick: (req: ProxyRequest) => EndpointState | undefined }>();
  for (const service of snapshot.outbound.services) {
    const key = `${service.name}.${service.namespace}`;
    const upstream = upstreams.get(key);
    if (!upstream) continue;
    const all = new EndpointSet(upstream.list, deps.zone);
    const balancer = createBalancer(service.loadBalancer);
    const entry: ServiceEntry = { key, routes: outboundRoutes(service, upstream, deps, all, balancer, upstreams), unmatched: unmatched(key) };
    // Upgrades are not routed: they go to the service, to any of its endpoints.
    const picker = { route: entry.unmatched, pick: (req: ProxyRequest) => balancer(all, req, performance.now()) };
    for (const host of service.hostnames) {
      byHost.set(host.toLowerCase(), entry);
      pickers.set(host.toLowerCase(), picker);
    }
  }
  const context = createRequestContext({ side: 'outbound', self: deps.self, sampling: snapshot.tracing.sampling });
  const router = createOutboundRouter(byHost);
  const handle = compose([context], router);
  const upgrade = compose([context], (req) => {
    const host = hostName(req.header('host'));
    const picker = pickers.get(host);
    if (!picker) return Promise.resolve(proxyError('unknown-service', `no service named "${host}" in this proxy's configuration (Host header)`));
    const endpoint = picker.pick(req);
    if (!endpoint) return Promise.resolve(proxyError('no-healthy-endpoint', `${picker.route.destination} has no available endpoint`));
    const tls = endpoint.tunnelTls();
    if (tls === null) return Promise.resolve(proxyError('no-certificate', `${endpoint.key} takes only mutual TLS; waiting for a certificate from the control plane`));
    req.route = picker.route;
    const outcome = req.outcome;
    outcome.upstream = endpoint.key;
    outcome.upstreamTls = tls;
    outcome.mtls = tls !== undefined;
    return Promise.resolve(UPGRADE_ALLOWED);
  });
  return { handle, upgrade, router };
}
