import { type z } from 'zod';
import { serviceResource } from './service.ts';
import { trafficSplitResource } from './traffic-split.ts';
import { retryPolicyResource } from './retry-policy.ts';
import { timeoutPolicyResource } from './timeout-policy.ts';
import { rateLimitPolicyResource } from './rate-limit-policy.ts';
import { circuitBreakerPolicyResource } from './circuit-breaker-policy.ts';
import { loadBalancerPolicyResource } from './load-balancer-policy.ts';
import { faultPolicyResource } from './fault-policy.ts';
import { mirrorPolicyResource } from './mirror-policy.ts';
import { cachePolicyResource } from './cache-policy.ts';
import { authorizationPolicyResource } from './authorization-policy.ts';
import { mutualTlsPolicyResource } from './mutual-tls-policy.ts';
import { scaleToZeroPolicyResource } from './scale-to-zero-policy.ts';
import { API_VERSION } from './common.ts';
import { formatIssues, type FieldError } from '../errors.ts';
import { checkInputBounds } from '../input-bounds.ts';

/** Every kind a user can write, by name. */
export const resourceSchemas = {
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
  AuthorizationPolicy: authorizationPolicyResource,
  MutualTLSPolicy: mutualTlsPolicyResource,
  ScaleToZeroPolicy: scaleToZeroPolicyResource,
} as const;

export type ResourceKind = keyof typeof resourceSchemas;
export const RESOURCE_KINDS = Object.keys(resourceSchemas) as ResourceKind[];
export const POLICY_KINDS = RESOURCE_KINDS.filter((k) => k !== 'Service');

export type ResourceOf<K extends ResourceKind> = z.infer<(typeof resourceSchemas)[K]>;
export type Resource = { [K in ResourceKind]: ResourceOf<K> }[ResourceKind];
export type ResourceInput = { [K in ResourceKind]: z.input<(typeof resourceSchemas)[K]> }[ResourceKind];
export type SpecOf<K extends ResourceKind> = ResourceOf<K>['spec'];

export function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && Object.hasOwn(resourceSchemas, kind);
}

/** Accepts "retrypolicy", "RetryPolicies", "retrypolicies" and the like, as kubectl does. */
export function resolveKind(text: string): ResourceKind | undefined {
  const wanted = text.toLowerCase().replace(/ies$/, 'y').replace(/s$/, '');
  return RESOURCE_KINDS.find((k) => k.toLowerCase() === wanted);
}

export type ParseResult = { ok: true; resource: Resource } | { ok: false; errors: FieldError[] };

/** Validates one resource of any kind; errors name the field path (e.g. "spec.backends[1].weight"). */
export function parseResource(input: unknown): ParseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '', message: 'a resource must be an object with apiVersion, kind, metadata and spec' }] };
  }
  // Before the schema: NUL, lone surrogates, prototype keys, depth and array sizes, anywhere (status too).
  const unbounded = checkInputBounds(input);
  if (unbounded) return { ok: false, errors: [unbounded] };
  const { kind, apiVersion } = input as { kind?: unknown; apiVersion?: unknown };
  if (apiVersion !== API_VERSION) {
    return { ok: false, errors: [{ path: 'apiVersion', message: `must be "${API_VERSION}"` }] };
  }
  if (!isResourceKind(kind)) {
    return {
      ok: false,
      errors: [{ path: 'kind', message: `unknown kind ${JSON.stringify(kind)}; expected one of ${RESOURCE_KINDS.join(', ')}` }],
    };
  }
  const result = resourceSchemas[kind].safeParse(input, { reportInput: true });
  if (!result.success) return { ok: false, errors: formatIssues(result.error.issues) };
  return { ok: true, resource: result.data as Resource };
}

/** How a policy's target reads in lists: "payments", "payments/list", "namespace shop", "mesh". */
export function describeTarget(ref: { kind: string; name?: string; namespace?: string; route?: string }): string {
  if (ref.kind === 'Mesh') return 'mesh';
  if (ref.kind === 'Namespace') return `namespace ${ref.name ?? ''}`;
  return `${ref.name ?? ''}${ref.route ? `/${ref.route}` : ''}`;
}

/** A resource's identity: kind, namespace and name. */
export function resourceKey(r: { kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${r.kind}/${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

export * from './common.ts';
export * from './service.ts';
export * from './traffic-split.ts';
export * from './retry-policy.ts';
export * from './timeout-policy.ts';
export * from './rate-limit-policy.ts';
export * from './circuit-breaker-policy.ts';
export * from './load-balancer-policy.ts';
export * from './fault-policy.ts';
export * from './mirror-policy.ts';
export * from './cache-policy.ts';
export * from './authorization-policy.ts';
export * from './mutual-tls-policy.ts';
export * from './scale-to-zero-policy.ts';
