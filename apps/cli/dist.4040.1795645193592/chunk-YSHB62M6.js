import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);

// packages/shared/src/resources/index.ts
import "zod";

// packages/shared/src/resources/service.ts
import { z as z3 } from "zod";

// packages/shared/src/resources/define.ts
import { z as z2 } from "zod";

// packages/shared/src/resources/common.ts
import { z } from "zod";
var API_VERSION = "trellis.dev/v1alpha1";
var DEFAULT_NAMESPACE = "default";
var DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
var dnsLabel = z.string().min(1, { error: "must not be empty" }).max(63, { error: "must be at most 63 characters" }).regex(DNS_LABEL, { error: 'must be lowercase letters, digits and "-", starting and ending with a letter or digit' });
var labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
  error: 'must be a Kubernetes label key (letters, digits, "-", "_", "." with an optional "prefix/")'
});
var labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  error: 'must be a Kubernetes label value (at most 63 letters, digits, "-", "_", ".")'
});
var labels = z.record(labelKey, labelValue);
var metadata = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.default(DEFAULT_NAMESPACE),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  /** Optimistic concurrency: when set, a write is refused unless it names the current version. */
  resourceVersion: z.string().regex(/^\d+$/, { error: "must be a number written as a string" }).optional(),
  // Set by the control plane, accepted back so a fetched resource can be edited and re-applied.
  creationTimestamp: z.string().optional(),
  uid: z.string().optional()
});
var targetRef = z.strictObject({
  kind: z.literal("Service", { error: 'only kind "Service" can be targeted' }),
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  route: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535).optional()
});
var regex = z.string().min(1).max(1024).superRefine((text, ctx) => {
  try {
    new RegExp(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${err.message}` });
  }
});
var percentage = z.number({ error: "must be a number from 0 to 100" }).min(0, { error: "must be from 0 to 100" }).max(100, { error: "must be from 0 to 100" });
var httpMethod = z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);
var stringMatchExact = z.strictObject({ type: z.literal("Exact"), value: z.string().min(1) });
var stringMatchRegex = z.strictObject({ type: z.literal("RegularExpression"), value: regex });
var pathMatch = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("Exact"), value: z.string().startsWith("/", { error: 'must start with "/"' }) }),
  z.strictObject({ type: z.literal("PathPrefix"), value: z.string().startsWith("/", { error: 'must start with "/"' }) }),
  stringMatchRegex
]);
var headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: "must be a valid HTTP header name" });
var headerMatch = z.discriminatedUnion("type", [
  stringMatchExact.extend({ name: headerName }),
  stringMatchRegex.extend({ name: headerName })
]);
var queryMatch = z.discriminatedUnion("type", [
  stringMatchExact.extend({ name: z.string().min(1) }),
  stringMatchRegex.extend({ name: z.string().min(1) })
]);
var routeMatch = z.strictObject({
  path: pathMatch.optional(),
  method: httpMethod.optional(),
  headers: z.array(headerMatch).max(16).optional(),
  queryParams: z.array(queryMatch).max(16).optional()
});
var selector = labels.refine((l) => Object.keys(l).length > 0, { error: "must name at least one label" });

// packages/shared/src/resources/define.ts
function defineKind(kind, spec) {
  return z2.strictObject({
    apiVersion: z2.literal(API_VERSION, { error: `must be "${API_VERSION}"` }),
    kind: z2.literal(kind),
    metadata,
    spec,
    // Read-only, filled by the control plane (e.g. which proxies run it); ignored on apply.
    status: z2.record(z2.string(), z2.unknown()).optional()
  });
}

// packages/shared/src/resources/service.ts
var serviceRoute = z3.strictObject({
  name: dnsLabel,
  match: routeMatch
});
var serviceSpec = z3.strictObject({
  ports: z3.array(
    z3.strictObject({
      name: dnsLabel.optional(),
      port: z3.number().int().min(1).max(65535),
      protocol: z3.enum(["http"]).default("http")
    })
  ).max(16).optional(),
  routes: z3.array(serviceRoute).max(256).default([]),
  /**
   * The services this one calls (names, "name.namespace", or "*"). Its proxies get config for these only,
   * like Istio's Sidecar egress hosts. Omitted means every service in the mesh.
   */
  egress: z3.array(z3.string().regex(/^(\*|[a-z0-9-]+(\.[a-z0-9-]+)?)$/, { error: 'must be "name", "name.namespace" or "*"' })).optional(),
  /** Fraction of requests traced (0..1); errors and slow requests are always kept. */
  tracing: z3.strictObject({
    sampling: z3.number().min(0, { error: "must be from 0 to 1" }).max(1, { error: "must be from 0 to 1" })
  }).optional()
}).superRefine((spec, ctx) => {
  const seen = /* @__PURE__ */ new Set();
  spec.routes.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: ["routes", i, "name"], message: `route "${r.name}" is defined twice` });
    seen.add(r.name);
  });
});
var serviceResource = defineKind("Service", serviceSpec);

// packages/shared/src/resources/traffic-split.ts
import { z as z4 } from "zod";
var trafficSplitSpec = z4.strictObject({
  targetRef,
  backends: z4.array(
    z4.strictObject({
      name: dnsLabel,
      selector,
      weight: z4.number().int({ error: "must be a whole number" }).min(0, { error: "must be from 0 to 100" }).max(100, { error: "must be from 0 to 100" })
    })
  ).min(1, { error: "needs at least one backend" }).max(16)
}).superRefine((spec, ctx) => {
  const total = spec.backends.reduce((sum, b) => sum + b.weight, 0);
  if (total !== 100) {
    ctx.addIssue({ code: "custom", path: ["backends"], message: `weights must add up to 100 (they add up to ${total})` });
  }
  const names = /* @__PURE__ */ new Set();
  spec.backends.forEach((b, i) => {
    if (names.has(b.name)) ctx.addIssue({ code: "custom", path: ["backends", i, "name"], message: `backend "${b.name}" is listed twice` });
    names.add(b.name);
  });
});
var trafficSplitResource = defineKind("TrafficSplit", trafficSplitSpec);

// packages/shared/src/resources/retry-policy.ts
import { z as z6 } from "zod";

// packages/shared/src/duration.ts
import { z as z5 } from "zod";
var DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
var UNIT_MS = { ms: 1, s: 1e3, m: 6e4, h: 36e5 };
function parseDuration(text) {
  const m = DURATION.exec(text.trim());
  if (!m) return void 0;
  const [, amount, unit] = m;
  return Number(amount) * UNIT_MS[unit];
}
function formatDuration(ms2) {
  if (ms2 < 1e3 || ms2 % 1e3 !== 0) return `${ms2}ms`;
  if (ms2 < 6e4 || ms2 % 6e4 !== 0) return `${ms2 / 1e3}s`;
  if (ms2 < 36e5 || ms2 % 36e5 !== 0) return `${ms2 / 6e4}m`;
  return `${ms2 / 36e5}h`;
}
function duration(bounds) {
  return z5.string().superRefine((text, ctx) => {
    const ms2 = parseDuration(text);
    if (ms2 === void 0) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration; write it like "250ms", "2s" or "1m"` });
    } else if (ms2 < bounds.min || ms2 > bounds.max) {
      ctx.addIssue({
        code: "custom",
        message: `must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)} (got ${text})`
      });
    }
  });
}
function ms(text) {
  const value = parseDuration(text);
  if (value === void 0) throw new Error(`not a duration: ${text}`);
  return value;
}

// packages/shared/src/resources/retry-policy.ts
var RETRY_ON = ["5xx", "gateway-error", "connect-failure", "reset", "retriable-429"];
var MAX_ATTEMPTS = 10;
var retryPolicySpec = z6.strictObject({
  targetRef,
  /** Total tries including the first one. */
  attempts: z6.number({ error: "must be a number" }).int({ error: "must be a whole number" }).min(1, { error: "must be at least 1" }).max(MAX_ATTEMPTS, { error: `must be at most ${MAX_ATTEMPTS}` }),
  retryOn: z6.array(z6.enum(RETRY_ON)).min(1, { error: "name at least one condition" }).default(["5xx", "connect-failure", "reset"]),
  perTryTimeout: duration({ min: 1, max: 3e5 }).optional(),
  backoff: z6.strictObject({
    baseInterval: duration({ min: 1, max: 6e4 }).default("25ms"),
    maxInterval: duration({ min: 1, max: 3e5 }).default("250ms")
  }).default({ baseInterval: "25ms", maxInterval: "250ms" }),
  /** Retries allowed as a share of live requests, plus a floor per second, so an outage cannot become a retry storm. */
  budget: z6.strictObject({
    ratio: z6.number().min(0, { error: "must be from 0 to 1" }).max(1, { error: "must be from 0 to 1" }).default(0.2),
    minRetriesPerSecond: z6.number().int().min(0).max(1e5).default(10)
  }).default({ ratio: 0.2, minRetriesPerSecond: 10 })
}).superRefine((spec, ctx) => {
  const base = parseDuration(spec.backoff.baseInterval);
  const max = parseDuration(spec.backoff.maxInterval);
  if (base !== void 0 && max !== void 0 && max < base) {
    ctx.addIssue({ code: "custom", path: ["backoff", "maxInterval"], message: "must not be shorter than backoff.baseInterval" });
  }
});
var retryPolicyResource = defineKind("RetryPolicy", retryPolicySpec);

// packages/shared/src/resources/timeout-policy.ts
import { z as z7 } from "zod";
var timeoutPolicySpec = z7.strictObject({
  targetRef,
  request: duration({ min: 1, max: 36e5 }),
  /** Longest silence on an open upstream response before it is cut. */
  idle: duration({ min: 1, max: 36e5 }).optional()
});
var timeoutPolicyResource = defineKind("TimeoutPolicy", timeoutPolicySpec);

// packages/shared/src/resources/rate-limit-policy.ts
import { z as z8 } from "zod";
var rateLimitPolicySpec = z8.strictObject({
  targetRef,
  requestsPerSecond: z8.number({ error: "must be a number" }).positive({ error: "must be greater than 0" }).max(1e6, { error: "must be at most 1000000" }),
  burst: z8.number().int({ error: "must be a whole number" }).min(1, { error: "must be at least 1" }).max(1e6).optional(),
  /** One bucket for all callers, one per calling service, or one per value of a header. */
  key: z8.discriminatedUnion("type", [
    z8.strictObject({ type: z8.literal("None") }),
    z8.strictObject({ type: z8.literal("SourceService") }),
    z8.strictObject({ type: z8.literal("Header"), header: z8.string().min(1) })
  ]).default({ type: "None" }),
  mode: z8.enum(["Local", "Global"]).default("Local"),
  /** Global mode when Redis cannot be reached: let traffic through (Open) or refuse it (Closed). */
  failureMode: z8.enum(["Open", "Closed"]).default("Open")
});
var rateLimitPolicyResource = defineKind("RateLimitPolicy", rateLimitPolicySpec);

// packages/shared/src/resources/circuit-breaker-policy.ts
import { z as z9 } from "zod";
var limit = z9.number().int({ error: "must be a whole number" }).min(1, { error: "must be at least 1" }).max(1e6);
var circuitBreakerPolicySpec = z9.strictObject({
  targetRef,
  limits: z9.strictObject({
    maxConnections: limit.optional(),
    maxPendingRequests: limit.optional(),
    maxRequests: limit.optional()
  }).refine((l) => l.maxConnections !== void 0 || l.maxPendingRequests !== void 0 || l.maxRequests !== void 0, {
    error: "set at least one of maxConnections, maxPendingRequests, maxRequests"
  }).optional(),
  outlierDetection: z9.strictObject({
    consecutiveErrors: z9.number().int().min(1, { error: "must be at least 1" }).max(1e3).default(5),
    baseEjectionTime: duration({ min: 100, max: 36e5 }).default("30s"),
    maxEjectionTime: duration({ min: 100, max: 36e5 }).default("5m"),
    maxEjectionPercent: percentage.default(50)
  }).superRefine((o, ctx) => {
    const base = parseDuration(o.baseEjectionTime);
    const max = parseDuration(o.maxEjectionTime);
    if (base !== void 0 && max !== void 0 && max < base) {
      ctx.addIssue({ code: "custom", path: ["maxEjectionTime"], message: "must not be shorter than outlierDetection.baseEjectionTime" });
    }
  }).optional()
}).refine((s) => s.limits !== void 0 || s.outlierDetection !== void 0, {
  error: "set limits, outlierDetection, or both",
  path: ["limits"]
});
var circuitBreakerPolicyResource = defineKind("CircuitBreakerPolicy", circuitBreakerPolicySpec);

// packages/shared/src/resources/load-balancer-policy.ts
import { z as z10 } from "zod";
var LB_ALGORITHMS = ["RoundRobin", "LeastRequest", "EWMA", "ConsistentHash"];
var loadBalancerPolicySpec = z10.strictObject({
  targetRef,
  algorithm: z10.enum(LB_ALGORITHMS),
  /** ConsistentHash only: what request property picks the endpoint. */
  hashOn: z10.union([z10.strictObject({ header: z10.string().min(1) }), z10.strictObject({ cookie: z10.string().min(1) })], {
    error: "must name a header or a cookie to hash on, not both: {header: x-user-id} or {cookie: session}"
  }).optional(),
  /** Prefer endpoints in the caller's zone; fail over to other zones when it has no healthy one. */
  localityAware: z10.boolean().default(false)
}).superRefine((spec, ctx) => {
  if (spec.algorithm === "ConsistentHash" && !spec.hashOn) {
    ctx.addIssue({ code: "custom", path: ["hashOn"], message: "is required with algorithm ConsistentHash (a header or a cookie)" });
  }
  if (spec.algorithm !== "ConsistentHash" && spec.hashOn) {
    ctx.addIssue({ code: "custom", path: ["hashOn"], message: "applies to algorithm ConsistentHash only" });
  }
});
var loadBalancerPolicyResource = defineKind("LoadBalancerPolicy", loadBalancerPolicySpec);

// packages/shared/src/resources/fault-policy.ts
import { z as z11 } from "zod";
var faultPolicySpec = z11.strictObject({
  targetRef,
  delay: z11.strictObject({ percentage, duration: duration({ min: 1, max: 6e4 }) }).optional(),
  abort: z11.strictObject({
    percentage,
    httpStatus: z11.number().int().min(400, { error: "must be from 400 to 599" }).max(599, { error: "must be from 400 to 599" })
  }).optional()
}).refine((s) => s.delay !== void 0 || s.abort !== void 0, { error: "set delay, abort, or both", path: ["delay"] });
var faultPolicyResource = defineKind("FaultPolicy", faultPolicySpec);

// packages/shared/src/resources/mirror-policy.ts
import { z as z12 } from "zod";
var mirrorPolicySpec = z12.strictObject({
  targetRef,
  selector,
  percentage: percentage.default(100)
});
var mirrorPolicyResource = defineKind("MirrorPolicy", mirrorPolicySpec);

// packages/shared/src/resources/cache-policy.ts
import { z as z13 } from "zod";
var cachePolicySpec = z13.strictObject({
  targetRef,
  maxEntries: z13.number().int().min(1, { error: "must be at least 1" }).max(1e6).default(1e3),
  maxEntryBytes: z13.number().int().min(1, { error: "must be at least 1" }).max(64 * 1024 * 1024, { error: "must be at most 64 MiB" }).default(1024 * 1024),
  maxTotalBytes: z13.number().int().min(1).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** Freshness for responses that carry no max-age; omitted means such responses are not cached. */
  defaultTtl: duration({ min: 1, max: 864e5 }).optional()
}).superRefine((s, ctx) => {
  if (s.maxEntryBytes > s.maxTotalBytes) {
    ctx.addIssue({ code: "custom", path: ["maxEntryBytes"], message: `must not be larger than maxTotalBytes (${s.maxEntryBytes} > ${s.maxTotalBytes})` });
  }
});
var cachePolicyResource = defineKind("CachePolicy", cachePolicySpec);

// packages/shared/src/resources/authorization-policy.ts
import { z as z14 } from "zod";
var authorizationPolicySpec = z14.strictObject({
  targetRef,
  action: z14.enum(["Allow", "Deny"]),
  rules: z14.array(
    z14.strictObject({
      from: z14.array(z14.string().regex(/^(\*|[a-z0-9-]+(\.[a-z0-9-]+)?)$/, { error: 'must be "name", "name.namespace" or "*"' })).min(1),
      paths: z14.array(pathMatch).optional(),
      methods: z14.array(httpMethod).optional()
    })
  ).min(1, { error: "needs at least one rule" })
});
var authorizationPolicyResource = defineKind("AuthorizationPolicy", authorizationPolicySpec);

// packages/shared/src/errors.ts
function formatPath(path) {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
function formatIssues(issues) {
  return issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => formatPath([...issue.path, k]));
      return { path: keys[0] ?? formatPath(issue.path), message: `unknown field${keys.length > 1 ? "s" : ""} ${keys.join(", ")}` };
    }
    if (issue.code === "invalid_key") {
      return { path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message };
    }
    const missing = "input" in issue ? issue.input === void 0 : issue.message.includes("received undefined");
    if ((issue.code === "invalid_type" || issue.code === "invalid_value" || issue.code === "invalid_union") && missing) {
      return { path: formatPath(issue.path), message: "is required" };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}
function describeErrors(errors) {
  return errors.map((e) => e.path ? `${e.path}: ${e.message}` : e.message).join("; ");
}

// packages/shared/src/resources/index.ts
var resourceSchemas = {
  Service: serviceResource,
  TrafficSplit: trafficSplitResource,
  RetryPolicy: retryPolicyResource,
  TimeoutPolicy: timeoutPolicyResource,
  RateLimitPolicy: rateLimitPolicyResource,
  CircuitBreakerPolicy: circuitBreakerPolicyResource,
  LoadBalancerPolicy: loadBalancerPolicyResource,
  FaultPolicy: faultPolicyResource,
  MirrorPolicy: mirrorPolicyResource,
  CachePolicy: cachePolicyResource,
  AuthorizationPolicy: authorizationPolicyResource
};
var RESOURCE_KINDS = Object.keys(resourceSchemas);
var POLICY_KINDS = RESOURCE_KINDS.filter((k) => k !== "Service");
function isResourceKind(kind) {
  return typeof kind === "string" && Object.hasOwn(resourceSchemas, kind);
}
function resolveKind(text) {
  const wanted = text.toLowerCase().replace(/ies$/, "y").replace(/s$/, "");
  return RESOURCE_KINDS.find((k) => k.toLowerCase() === wanted);
}
function parseResource(input) {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ path: "", message: "a resource must be an object with apiVersion, kind, metadata and spec" }] };
  }
  const { kind, apiVersion } = input;
  if (apiVersion !== API_VERSION) {
    return { ok: false, errors: [{ path: "apiVersion", message: `must be "${API_VERSION}"` }] };
  }
  if (!isResourceKind(kind)) {
    return {
      ok: false,
      errors: [{ path: "kind", message: `unknown kind ${JSON.stringify(kind)}; expected one of ${RESOURCE_KINDS.join(", ")}` }]
    };
  }
  const result = resourceSchemas[kind].safeParse(input, { reportInput: true });
  if (!result.success) return { ok: false, errors: formatIssues(result.error.issues) };
  return { ok: true, resource: result.data };
}

// packages/shared/src/snapshot.ts
import { z as z15 } from "zod";
var msNumber = z15.number().int().min(0);
var endpointSchema = z15.object({
  address: z15.string().min(1),
  port: z15.number().int().min(1).max(65535),
  zone: z15.string().optional(),
  labels: labels.default({}),
  /** The proxy instance serving it, when it is meshed. */
  instance: z15.string().optional()
});
var compiledRetry = z15.object({
  attempts: z15.number().int().min(1).max(10),
  retryOn: z15.array(z15.enum(RETRY_ON)),
  perTryTimeoutMs: msNumber.optional(),
  backoffBaseMs: msNumber,
  backoffMaxMs: msNumber,
  budgetRatio: z15.number().min(0).max(1),
  budgetMinPerSecond: z15.number().min(0)
});
var compiledTimeout = z15.object({ requestMs: msNumber.min(1), idleMs: msNumber.optional() });
var compiledSplit = z15.object({
  backends: z15.array(z15.object({ name: z15.string(), selector: labels, weight: z15.number().int().min(0).max(100) })).min(1)
});
var compiledFault = z15.object({
  delay: z15.object({ percentage: z15.number().min(0).max(100), ms: msNumber }).optional(),
  abort: z15.object({ percentage: z15.number().min(0).max(100), status: z15.number().int().min(400).max(599) }).optional()
});
var compiledMirror = z15.object({ selector: labels, percentage: z15.number().min(0).max(100) });
var compiledCircuitBreaker = z15.object({
  maxConnections: z15.number().int().min(1).optional(),
  maxPendingRequests: z15.number().int().min(1).optional(),
  maxRequests: z15.number().int().min(1).optional(),
  outlier: z15.object({
    consecutiveErrors: z15.number().int().min(1),
    baseEjectionMs: msNumber,
    maxEjectionMs: msNumber,
    maxEjectionPercent: z15.number().min(0).max(100)
  }).optional()
});
var compiledLoadBalancer = z15.object({
  algorithm: z15.enum(LB_ALGORITHMS),
  hashOn: z15.union([z15.object({ header: z15.string() }), z15.object({ cookie: z15.string() })]).optional(),
  localityAware: z15.boolean()
});
var compiledRateLimit = z15.object({
  /** Names the bucket in Redis (global mode): the policy's kind/namespace/name. */
  id: z15.string(),
  requestsPerSecond: z15.number().positive(),
  burst: z15.number().int().min(1),
  key: z15.discriminatedUnion("type", [
    z15.object({ type: z15.literal("None") }),
    z15.object({ type: z15.literal("SourceService") }),
    z15.object({ type: z15.literal("Header"), header: z15.string() })
  ]),
  mode: z15.enum(["Local", "Global"]),
  failureMode: z15.enum(["Open", "Closed"])
});
var compiledAuthorization = z15.object({
  id: z15.string(),
  action: z15.enum(["Allow", "Deny"]),
  rules: z15.array(
    z15.object({ from: z15.array(z15.string()), paths: z15.array(pathMatch).optional(), methods: z15.array(httpMethod).optional() })
  )
});
var compiledCache = z15.object({
  maxEntries: z15.number().int().min(1),
  maxEntryBytes: z15.number().int().min(1),
  maxTotalBytes: z15.number().int().min(1),
  defaultTtlMs: msNumber.optional()
});
var outboundRoutePolicies = z15.object({
  split: compiledSplit.optional(),
  retry: compiledRetry.optional(),
  timeout: compiledTimeout.optional(),
  fault: compiledFault.optional(),
  mirror: compiledMirror.optional()
});
var inboundRoutePolicies = z15.object({
  rateLimit: compiledRateLimit.optional(),
  cache: compiledCache.optional()
});
var route = (policies) => z15.object({
  /** "default" is the catch-all the compiler appends after the service's own routes. */
  name: z15.string().min(1),
  match: routeMatch,
  policies
});
var outboundService = z15.object({
  name: z15.string(),
  namespace: z15.string(),
  /** Host header values that mean this service: "reviews" (same namespace), "reviews.shop", FQDN. */
  hostnames: z15.array(z15.string()).min(1),
  endpoints: z15.array(endpointSchema),
  routes: z15.array(route(outboundRoutePolicies)).min(1),
  circuitBreaker: compiledCircuitBreaker.optional(),
  loadBalancer: compiledLoadBalancer
});
var snapshotSchema = z15.object({
  version: z15.number().int().min(1),
  /** sha256 of the snapshot without its version: equal digests mean equal config. */
  digest: z15.string(),
  createdAt: z15.string(),
  service: z15.object({ name: z15.string(), namespace: z15.string() }),
  inbound: z15.object({
    routes: z15.array(route(inboundRoutePolicies)).min(1),
    authorization: z15.array(compiledAuthorization)
  }),
  outbound: z15.object({ services: z15.array(outboundService) }),
  tracing: z15.object({ sampling: z15.number().min(0).max(1) }),
  /** Shared services the proxy may use: Redis for global rate limits. */
  mesh: z15.object({ redisUrl: z15.string().optional() })
});

// packages/shared/src/stream.ts
import { z as z17 } from "zod";

// packages/shared/src/telemetry.ts
import { z as z16 } from "zod";
var LATENCY_BUCKETS_MS = (() => {
  const bounds = [];
  for (let b = 0.1; b < 12e4; b *= 1.1) bounds.push(Math.round(b * 1e3) / 1e3);
  return bounds;
})();
function latencyBucket(ms2) {
  let lo = 0;
  let hi = LATENCY_BUCKETS_MS.length - 1;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if ((LATENCY_BUCKETS_MS[mid] ?? Infinity) >= ms2) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
function histogramQuantile(counts, q) {
  const entries = (counts instanceof Map ? [...counts.entries()] : Object.entries(counts).map(([k, v]) => [Number(k), v])).filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [bucket, n] of entries) {
    if (seen + n >= rank) {
      const upper = LATENCY_BUCKETS_MS[bucket] ?? LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? 0;
      const lower = bucket === 0 ? 0 : LATENCY_BUCKETS_MS[bucket - 1] ?? 0;
      return lower + (upper - lower) * (rank - seen) / n;
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[entries[entries.length - 1]?.[0] ?? 0] ?? null;
}
var edgeDelta = z16.object({
  /** "name.namespace"; "external" for callers outside the mesh. */
  source: z16.string(),
  destination: z16.string(),
  route: z16.string(),
  /** The destination subset that served them (its version label), when known. */
  version: z16.string().optional(),
  /** outbound: counted by the caller's proxy; inbound: by the destination's proxy (callers outside the mesh). */
  side: z16.enum(["outbound", "inbound"]),
  /** Requests by status class; `other` counts requests that got no HTTP response at all. */
  codes: z16.object({ "2xx": z16.number(), "3xx": z16.number(), "4xx": z16.number(), "5xx": z16.number() }),
  /** Sparse latency histogram: bucket index (LATENCY_BUCKETS_MS) -> count. */
  latency: z16.record(z16.string(), z16.number()),
  retries: z16.number(),
  rateLimited: z16.number(),
  ejections: z16.number()
});
var metricsReport = z16.object({
  /** End of the interval, ms since the epoch (the proxy's clock). */
  at: z16.number(),
  intervalMs: z16.number().positive(),
  edges: z16.array(edgeDelta)
});
var attributeValue = z16.union([z16.string(), z16.number(), z16.boolean()]);
var spanSchema = z16.object({
  traceId: z16.string().regex(/^[0-9a-f]{32}$/),
  spanId: z16.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z16.string().regex(/^[0-9a-f]{16}$/).optional(),
  /** server: a request a proxy received; client: one attempt a proxy sent upstream. */
  kind: z16.enum(["server", "client"]),
  service: z16.string(),
  name: z16.string(),
  startMs: z16.number(),
  durationMs: z16.number().min(0),
  status: z16.number().int(),
  error: z16.boolean(),
  attributes: z16.record(z16.string(), attributeValue).default({})
});

// packages/shared/src/stream.ts
var STREAM_PATH = "/v1/stream";
var STREAM_PROTOCOL_VERSION = 1;
var HEARTBEAT_INTERVAL_MS = 5e3;
var proxyIdentity = z17.object({
  service: z17.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  namespace: z17.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default("default"),
  /** Unique per proxy process (pod name, or host:port). */
  instance: z17.string().min(1).max(253),
  zone: z17.string().optional(),
  labels: labels.default({}),
  /** Where other proxies reach this workload (the proxy's inbound listener); omitted for callers only. */
  endpoint: z17.object({ address: z17.string().min(1), port: z17.number().int().min(1).max(65535) }).optional(),
  /** The proxy's other listeners, shown in the dashboard. */
  ports: z17.object({ outbound: z17.number().int().optional(), admin: z17.number().int().optional(), app: z17.number().int().optional() }).default({}),
  /** Software version of the proxy. */
  proxyVersion: z17.string()
});
var helloMessage = z17.object({
  type: z17.literal("hello"),
  protocol: z17.literal(STREAM_PROTOCOL_VERSION),
  proxy: proxyIdentity,
  /** The snapshot the proxy already runs (from memory or disk), so an unchanged one is not resent. */
  current: z17.object({ version: z17.number().int(), digest: z17.string() }).optional()
});
var proxyMessage = z17.discriminatedUnion("type", [
  helloMessage,
  z17.object({ type: z17.literal("ack"), version: z17.number().int() }),
  z17.object({ type: z17.literal("nack"), version: z17.number().int(), reason: z17.string() }),
  z17.object({ type: z17.literal("ping"), at: z17.number() }),
  z17.object({ type: z17.literal("metrics"), report: metricsReport }),
  z17.object({ type: z17.literal("spans"), spans: z17.array(spanSchema).max(1e4) })
]);
var controlMessage = z17.discriminatedUnion("type", [
  z17.object({ type: z17.literal("snapshot"), snapshot: snapshotSchema }),
  z17.object({ type: z17.literal("pong"), at: z17.number() }),
  z17.object({ type: z17.literal("error"), message: z17.string() })
]);

export {
  API_VERSION,
  ms,
  formatIssues,
  describeErrors,
  RESOURCE_KINDS,
  resolveKind,
  parseResource,
  snapshotSchema,
  LATENCY_BUCKETS_MS,
  latencyBucket,
  histogramQuantile,
  STREAM_PATH,
  STREAM_PROTOCOL_VERSION,
  HEARTBEAT_INTERVAL_MS,
  proxyMessage,
  controlMessage
};
//# sourceMappingURL=chunk-YSHB62M6.js.map
