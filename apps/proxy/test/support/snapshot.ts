import {
  snapshotSchema,
  type CompiledLoadBalancer,
  type Endpoint,
  type InboundRoutePolicies,
  type OutboundRoutePolicies,
  type OutboundService,
  type RouteMatch,
  type Snapshot,
} from '@trellis/shared';

// Small builders for valid snapshots, so each test states only what it is about. Every snapshot is run
// through the shared schema, the same check the proxy applies.

type InboundRoute = Snapshot['inbound']['routes'][number];
type OutboundRoute = OutboundService['routes'][number];

export function endpoint(port: number, labels: Record<string, string> = {}, zone?: string): Endpoint {
  return { address: '127.0.0.1', port, labels, ...(zone ? { zone } : {}) };
}

export function outboundRoute(name: string, policies: OutboundRoutePolicies = {}, match: RouteMatch = {}): OutboundRoute {
  return { name, match, policies };
}

export function inboundRoute(name: string, policies: InboundRoutePolicies = {}, match: RouteMatch = {}): InboundRoute {
  return { name, match, policies };
}

export interface ServiceSpec {
  name: string;
  namespace?: string;
  endpoints: Endpoint[];
  /** Policies of the catch-all "default" route (appended last). */
  policies?: OutboundRoutePolicies;
  /** Routes tried before "default". */
  routes?: OutboundRoute[];
  circuitBreaker?: OutboundService['circuitBreaker'];
  loadBalancer?: Partial<CompiledLoadBalancer>;
  scaleFromZero?: OutboundService['scaleFromZero'];
}

export function service(spec: ServiceSpec): OutboundService {
  const namespace = spec.namespace ?? 'default';
  const out: OutboundService = {
    name: spec.name,
    namespace,
    hostnames: [spec.name, `${spec.name}.${namespace}`, `${spec.name}.${namespace}.svc.cluster.local`],
    endpoints: spec.endpoints,
    routes: [...(spec.routes ?? []), outboundRoute('default', spec.policies ?? {})],
    loadBalancer: { algorithm: 'RoundRobin', localityAware: false, ...spec.loadBalancer },
  };
  if (spec.circuitBreaker) out.circuitBreaker = spec.circuitBreaker;
  if (spec.scaleFromZero) out.scaleFromZero = spec.scaleFromZero;
  return out;
}

export interface SnapshotSpec {
  service?: string;
  namespace?: string;
  version?: number;
  outbound?: OutboundService[];
  /** Routes tried before the inbound "default". */
  inboundRoutes?: InboundRoute[];
  /** Policies of the inbound "default" route. */
  inbound?: InboundRoutePolicies;
  authorization?: Snapshot['inbound']['authorization'];
  sampling?: number;
  redisUrl?: string;
}

/** A valid snapshot for service `spec.service` (default "client"). */
export function snapshot(spec: SnapshotSpec = {}): Snapshot {
  const raw = {
    version: spec.version ?? 1,
    digest: `test-${spec.version ?? 1}`,
    createdAt: new Date().toISOString(),
    service: { name: spec.service ?? 'client', namespace: spec.namespace ?? 'default' },
    inbound: {
      routes: [...(spec.inboundRoutes ?? []), inboundRoute('default', spec.inbound ?? {})],
      authorization: spec.authorization ?? [],
    },
    outbound: { services: spec.outbound ?? [] },
    tracing: { sampling: spec.sampling ?? 0 },
    mesh: spec.redisUrl ? { redisUrl: spec.redisUrl } : {},
  };
  return snapshotSchema.parse(raw);
}

/** A retry policy with test-friendly defaults. */
export function retry(overrides: Partial<NonNullable<OutboundRoutePolicies['retry']>> = {}): NonNullable<OutboundRoutePolicies['retry']> {
  return {
    attempts: 3,
    retryOn: ['5xx', 'connect-failure', 'reset'],
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    budgetRatio: 1,
    budgetMinPerSecond: 1000,
    ...overrides,
  };
}
