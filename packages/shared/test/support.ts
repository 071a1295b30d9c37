import { expect } from 'vitest';
import {
  API_VERSION,
  describeErrors,
  parseResource,
  type FieldError,
  type ResourceKind,
  type ResourceOf,
  type Snapshot,
} from '../src/index.ts';

/** A resource of `kind` in the shop demo's namespace, with `spec` as given (anything: it is what a user wrote). */
export function resource(kind: string, spec: unknown, metadata: Record<string, unknown> = { name: 'example' }): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind, metadata, spec };
}

export const target = (name = 'reviews', extra: Record<string, unknown> = {}) => ({ kind: 'Service', name, ...extra });

/** Parses and expects success; returns the resource narrowed to `kind`, defaults filled in. */
export function accept<K extends ResourceKind>(kind: K, input: unknown): ResourceOf<K> {
  const result = parseResource(input);
  if (!result.ok) throw new Error(`expected a valid ${kind}, got: ${describeErrors(result.errors)}`);
  expect(result.resource.kind).toBe(kind);
  return result.resource as ResourceOf<K>;
}

/** Parses and expects failure; returns every error. */
export function reject(input: unknown): FieldError[] {
  const result = parseResource(input);
  if (result.ok) throw new Error(`expected a refusal, but it parsed as ${JSON.stringify(result.resource)}`);
  expect(result.errors.length).toBeGreaterThan(0);
  return result.errors;
}

/** Expects exactly one error, at `path`, whose message matches `message`. */
export function rejectAt(input: unknown, path: string, message: RegExp): FieldError {
  const errors = reject(input);
  expect(errors, describeErrors(errors)).toHaveLength(1);
  const [error] = errors as [FieldError];
  expect(error.path).toBe(path);
  expect(error.message).toMatch(message);
  return error;
}

/** Expects (among others) an error at `path` whose message matches `message`. */
export function rejectIncluding(input: unknown, path: string, message: RegExp): FieldError[] {
  const errors = reject(input);
  const at = errors.filter((e) => e.path === path);
  expect(at, `no error at ${path}; got: ${describeErrors(errors)}`).not.toHaveLength(0);
  expect(at.map((e) => e.message).join(' | ')).toMatch(message);
  return errors;
}

/** The smallest valid spec of every kind (a new kind without an entry here fails to type-check). */
export const MINIMAL_SPECS: Record<ResourceKind, () => Record<string, unknown>> = {
  Service: () => ({}),
  TrafficSplit: () => ({ targetRef: target(), backends: [{ name: 'v1', selector: { version: 'v1' }, weight: 100 }] }),
  RetryPolicy: () => ({ targetRef: target(), attempts: 3 }),
  TimeoutPolicy: () => ({ targetRef: target(), request: '2s' }),
  RateLimitPolicy: () => ({ targetRef: target(), requestsPerSecond: 10 }),
  CircuitBreakerPolicy: () => ({ targetRef: target(), outlierDetection: {} }),
  LoadBalancerPolicy: () => ({ targetRef: target(), algorithm: 'RoundRobin' }),
  FaultPolicy: () => ({ targetRef: target(), abort: { percentage: 1, httpStatus: 503 } }),
  MirrorPolicy: () => ({ targetRef: target(), selector: { version: 'v2' } }),
  CachePolicy: () => ({ targetRef: target() }),
  AuthorizationPolicy: () => ({ targetRef: target(), action: 'Allow', rules: [{ from: ['frontend'] }] }),
  MutualTLSPolicy: () => ({ targetRef: { kind: 'Mesh' }, mode: 'STRICT' }),
  ScaleToZeroPolicy: () => ({ targetRef: target(), idleTimeout: '5m' }),
};

/** A valid per-proxy snapshot for the frontend: one inbound route, reviews as its one upstream. */
export function validSnapshot(version = 1): Snapshot {
  return {
    version,
    digest: `digest-${version}`,
    createdAt: '2025-01-01T00:00:00.000Z',
    service: { name: 'frontend', namespace: 'default' },
    inbound: {
      routes: [{ name: 'default', match: {}, policies: {} }],
      authorization: [
        { id: 'AuthorizationPolicy/default/frontend-callers', action: 'Allow', rules: [{ from: ['*'], methods: ['GET'] }] },
      ],
      mtls: 'STRICT',
    },
    outbound: {
      services: [
        {
          name: 'reviews',
          namespace: 'default',
          hostnames: ['reviews', 'reviews.default', 'reviews.default.svc.cluster.local'],
          endpoints: [
            { address: '10.0.0.11', port: 9080, labels: { version: 'v1' }, zone: 'a' },
            { address: '10.0.0.12', port: 9080, labels: { version: 'v2' }, instance: 'reviews-v2-1', identity: 'spiffe://trellis.local/ns/default/sa/reviews' },
          ],
          routes: [
            {
              name: 'default',
              match: { path: { type: 'PathPrefix', value: '/' } },
              policies: {
                split: {
                  backends: [
                    { name: 'v1', selector: { version: 'v1' }, weight: 90 },
                    { name: 'v2', selector: { version: 'v2' }, weight: 10 },
                  ],
                },
                retry: {
                  attempts: 3,
                  retryOn: ['5xx', 'connect-failure'],
                  perTryTimeoutMs: 500,
                  backoffBaseMs: 25,
                  backoffMaxMs: 250,
                  budgetRatio: 0.2,
                  budgetMinPerSecond: 10,
                },
                timeout: { requestMs: 2000 },
              },
            },
          ],
          circuitBreaker: { maxRequests: 100, outlier: { consecutiveErrors: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 } },
          loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
        },
      ],
    },
    tracing: { sampling: 0.1 },
    mesh: {},
  };
}
