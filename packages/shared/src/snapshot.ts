import { z } from 'zod';
import { LB_ALGORITHMS, MTLS_MODES, RETRY_ON, labels, routeMatch, httpMethod, pathMatch } from './resources/index.ts';

// The per-proxy config snapshot: compiled by the control plane from resources and discovered endpoints,
// validated again by the proxy before it swaps it in. Durations are milliseconds here, defaults filled
// in, route-level policies already merged over service-level ones: the proxy does no policy resolution.

const msNumber = z.number().int().min(0);

export const endpointSchema = z.object({
  address: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  zone: z.string().optional(),
  labels: labels.default({}),
  /** The proxy instance serving it, when it is meshed. */
  instance: z.string().optional(),
  /**
   * The SPIFFE ID the endpoint's proxy must present. When set, callers connect with mutual TLS and refuse
   * a server with any other identity; when absent (a plain-HTTP endpoint), they connect in the clear.
   */
  identity: z.string().max(1024).optional(),
});

export const compiledRetry = z.object({
  attempts: z.number().int().min(1).max(10),
  retryOn: z.array(z.enum(RETRY_ON)),
  perTryTimeoutMs: msNumber.optional(),
  backoffBaseMs: msNumber,
  backoffMaxMs: msNumber,
  budgetRatio: z.number().min(0).max(1),
  budgetMinPerSecond: z.number().min(0),
});

export const compiledTimeout = z.object({ requestMs: msNumber.min(1), idleMs: msNumber.optional() });

export const compiledSplit = z.object({
  backends: z
    .array(
      z.object({
        name: z.string(),
        selector: labels,
        /** Gateway API weights are not percentages: any whole number, relative to the others. */
        weight: z.number().int().min(0).max(1_000_000),
        /** Another service ("name.namespace") whose endpoints this backend sends to (HTTPRoute backendRefs); else the service's own. */
        service: z.string().optional(),
      }),
    )
    .min(1),
});

/** HTTPRoute's RequestHeaderModifier: headers set (replaced), added (appended) and removed before forwarding. */
export const compiledHeaderModifier = z.object({
  set: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
  add: z.array(z.object({ name: z.string().min(1), value: z.string() })).default([]),
  remove: z.array(z.string().min(1)).default([]),
});

export const compiledFault = z.object({
  delay: z.object({ percentage: z.number().min(0).max(100), ms: msNumber }).optional(),
  abort: z.object({ percentage: z.number().min(0).max(100), status: z.number().int().min(400).max(599) }).optional(),
});

export const compiledMirror = z.object({ selector: labels, percentage: z.number().min(0).max(100) });

export const compiledCircuitBreaker = z.object({
  maxConnections: z.number().int().min(1).optional(),
  maxPendingRequests: z.number().int().min(1).optional(),
  maxRequests: z.number().int().min(1).optional(),
  outlier: z
    .object({
      consecutiveErrors: z.number().int().min(1),
      baseEjectionMs: msNumber,
      maxEjectionMs: msNumber,
      maxEjectionPercent: z.number().min(0).max(100),
    })
    .optional(),
});

export const compiledLoadBalancer = z.object({
  algorithm: z.enum(LB_ALGORITHMS),
  hashOn: z.union([z.object({ header: z.string() }), z.object({ cookie: z.string() })]).optional(),
  localityAware: z.boolean(),
});

export const compiledRateLimit = z.object({
  /** Names the bucket in Redis (global mode): the policy's kind/namespace/name. */
  id: z.string(),
  requestsPerSecond: z.number().positive(),
  burst: z.number().int().min(1),
  key: z.discriminatedUnion('type', [
    z.object({ type: z.literal('None') }),
    z.object({ type: z.literal('SourceService') }),
    z.object({ type: z.literal('Header'), header: z.string() }),
  ]),
  mode: z.enum(['Local', 'Global']),
  failureMode: z.enum(['Open', 'Closed']),
});

export const compiledAuthorization = z.object({
  id: z.string(),
  action: z.enum(['Allow', 'Deny']),
  rules: z.array(
    z.object({
      /** "*" (anyone), "external" (no mesh identity), or SPIFFE ID patterns; service names are already resolved. */
      from: z.array(z.string()),
      paths: z.array(pathMatch).optional(),
      methods: z.array(httpMethod).optional(),
    }),
  ),
});

export const compiledCache = z.object({
  maxEntries: z.number().int().min(1),
  maxEntryBytes: z.number().int().min(1),
  maxTotalBytes: z.number().int().min(1),
  defaultTtlMs: msNumber.optional(),
});

/** ScaleToZeroPolicy as callers apply it: how they hold requests while the service has no endpoint. */
export const compiledScaleFromZero = z.object({
  /** How long one request waits for the first endpoint before it gets 503. */
  holdMs: msNumber.min(1),
  /** Requests held at once for the service; more get 503 at once. */
  maxHeld: z.number().int().min(1),
});

/** What a caller's proxy applies to requests it sends on one route of a service. */
export const outboundRoutePolicies = z.object({
  split: compiledSplit.optional(),
  retry: compiledRetry.optional(),
  timeout: compiledTimeout.optional(),
  fault: compiledFault.optional(),
  mirror: compiledMirror.optional(),
  requestHeaders: compiledHeaderModifier.optional(),
});

/** What a service's own proxy applies to requests it receives on one route. */
export const inboundRoutePolicies = z.object({
  rateLimit: compiledRateLimit.optional(),
  cache: compiledCache.optional(),
});

const route = <P extends z.ZodType>(policies: P) =>
  z.object({
    /** "default" is the catch-all the compiler appends after the service's own routes. */
    name: z.string().min(1),
    match: routeMatch,
    policies,
  });

export const outboundService = z.object({
  name: z.string(),
  namespace: z.string(),
  /** Host header values that mean this service: "reviews" (same namespace), "reviews.shop", FQDN. */
  hostnames: z.array(z.string()).min(1),
  endpoints: z.array(endpointSchema),
  routes: z.array(route(outboundRoutePolicies)).min(1),
  circuitBreaker: compiledCircuitBreaker.optional(),
  loadBalancer: compiledLoadBalancer,
  /** Set when the service scales to zero: requests wait (bounded) for its first endpoint instead of failing. */
  scaleFromZero: compiledScaleFromZero.optional(),
});

export const snapshotSchema = z.object({
  version: z.number().int().min(1),
  /** sha256 of the snapshot without its version: equal digests mean equal config. */
  digest: z.string(),
  createdAt: z.string(),
  service: z.object({ name: z.string(), namespace: z.string() }),
  inbound: z.object({
    routes: z.array(route(inboundRoutePolicies)).min(1),
    authorization: z.array(compiledAuthorization),
    /** How the inbound listener takes connections (MutualTLSPolicy); a snapshot file without it is plain HTTP. */
    mtls: z.enum(MTLS_MODES).default('DISABLE'),
  }),
  outbound: z.object({ services: z.array(outboundService) }),
  tracing: z.object({ sampling: z.number().min(0).max(1) }),
  /** Shared services the proxy may use: Redis for global rate limits. */
  mesh: z.object({ redisUrl: z.string().optional() }),
});

export type Endpoint = z.infer<typeof endpointSchema>;
export type Snapshot = z.infer<typeof snapshotSchema>;
export type OutboundService = z.infer<typeof outboundService>;
export type OutboundRoutePolicies = z.infer<typeof outboundRoutePolicies>;
export type InboundRoutePolicies = z.infer<typeof inboundRoutePolicies>;
export type CompiledRetry = z.infer<typeof compiledRetry>;
export type CompiledTimeout = z.infer<typeof compiledTimeout>;
export type CompiledSplit = z.infer<typeof compiledSplit>;
export type CompiledHeaderModifier = z.infer<typeof compiledHeaderModifier>;
export type CompiledFault = z.infer<typeof compiledFault>;
export type CompiledMirror = z.infer<typeof compiledMirror>;
export type CompiledCircuitBreaker = z.infer<typeof compiledCircuitBreaker>;
export type CompiledLoadBalancer = z.infer<typeof compiledLoadBalancer>;
export type CompiledRateLimit = z.infer<typeof compiledRateLimit>;
export type CompiledAuthorization = z.infer<typeof compiledAuthorization>;
export type CompiledCache = z.infer<typeof compiledCache>;
export type CompiledScaleFromZero = z.infer<typeof compiledScaleFromZero>;
