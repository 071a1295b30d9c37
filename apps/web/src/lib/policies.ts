import { API_VERSION, describeTarget, type ResourceKind } from '@trellis/shared';

/**
 * The policy kinds the dashboard has form editors for, in the order the Policies page lists them: every
 * policy kind the API accepts (a test holds this list to POLICY_KINDS).
 */
export const EDITABLE_KINDS = ['TrafficSplit', 'RetryPolicy', 'RateLimitPolicy', 'CircuitBreakerPolicy', 'TimeoutPolicy', 'LoadBalancerPolicy', 'FaultPolicy', 'MirrorPolicy', 'CachePolicy', 'AuthorizationPolicy', 'MutualTLSPolicy', 'ScaleToZeroPolicy'] as const;
export type EditableKind = (typeof EDITABLE_KINDS)[number];

export function isEditableKind(kind: string): kind is EditableKind {
  return (EDITABLE_KINDS as readonly string[]).includes(kind);
}

/** `tab`: a shorter name for the Policies page's tabs, where the plural is too long to fit. */
export const KIND_INFO: Record<EditableKind, { label: string; plural: string; blurb: string; tab?: string }> = {
  TrafficSplit: { label: 'Traffic split', plural: 'Traffic splits', blurb: 'Canary weights across versions of one service.' },
  RetryPolicy: { label: 'Retry policy', plural: 'Retry policies', blurb: 'How callers retry failed requests, within a budget.' },
  RateLimitPolicy: { label: 'Rate limit', plural: 'Rate limits', blurb: 'A token bucket on the requests a service accepts.' },
  CircuitBreakerPolicy: { label: 'Circuit breaker', plural: 'Circuit breakers', blurb: 'Connection and request caps, and ejection of failing endpoints.' },
  TimeoutPolicy: { label: 'Timeout', plural: 'Timeouts', blurb: 'How long a request may take, retries included.' },
  LoadBalancerPolicy: { label: 'Load balancer', plural: 'Load balancers', blurb: 'How callers pick one of the service’s endpoints.' },
  FaultPolicy: { label: 'Fault injection', plural: 'Fault injection', blurb: 'Injected delays and errors, to test resilience.' },
  MirrorPolicy: { label: 'Mirror', plural: 'Mirrors', blurb: 'A copy of some requests to a subset of the service; its answers are ignored.' },
  CachePolicy: { label: 'Cache', plural: 'Caches', blurb: 'An HTTP cache in front of the service, run by its own proxies.' },
  AuthorizationPolicy: { label: 'Authorization policy', plural: 'Authorization policies', tab: 'Authorization', blurb: 'Who may call a service (or every service of a namespace): by identity, path and method.' },
  ScaleToZeroPolicy: { label: 'Scale to zero', plural: 'Scale to zero', tab: 'Scale to zero', blurb: 'Serverless: the service’s workload stops after an idle time; a request holds while it starts again.' },
  MutualTLSPolicy: { label: 'Mutual TLS mode', plural: 'Mutual TLS modes', tab: 'mTLS', blurb: 'How services take inbound connections: only mutual TLS (STRICT), also plain HTTP (PERMISSIVE), or plain only (DISABLE).' },
};

/** A kind's label inside a sentence: "New traffic split", "New mutual TLS mode" (acronyms stay as they are). */
export function inSentence(label: string): string {
  return label.replace(/\b[A-Z][a-z]+\b/g, (word) => word.toLowerCase());
}

type Spec = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** One line that says what a policy does, for lists ("3 attempts on 5xx, connect-failure"). */
export function summarize(kind: string, spec: Spec): string {
  const s = spec as Record<string, never>;
  switch (kind) {
    case 'TrafficSplit':
      return ((spec.backends as { name: string; weight: number }[] | undefined) ?? []).map((b) => `${b.name} ${b.weight}%`).join(' · ');
    case 'RetryPolicy':
      return `${s.attempts} attempts on ${((spec.retryOn as string[] | undefined) ?? []).join(', ')}${spec.perTryTimeout ? `, ${str(spec.perTryTimeout)} per try` : ''}`;
    case 'RateLimitPolicy': {
      const key = (spec.key as { type: string; header?: string } | undefined) ?? { type: 'None' };
      return `${s.requestsPerSecond} req/s${spec.burst ? `, burst ${str(spec.burst)}` : ''}${key.type === 'None' ? '' : key.type === 'Header' ? ` per ${key.header ?? 'header'}` : ' per caller'} (${str(spec.mode ?? 'Local').toLowerCase()})`;
    }
    case 'CircuitBreakerPolicy': {
      const parts: string[] = [];
      const limits = spec.limits as Record<string, number> | undefined;
      if (limits?.maxConnections) parts.push(`≤ ${limits.maxConnections} connections`);
      if (limits?.maxPendingRequests) parts.push(`≤ ${limits.maxPendingRequests} pending`);
      if (limits?.maxRequests) parts.push(`≤ ${limits.maxRequests} requests`);
      const od = spec.outlierDetection as { consecutiveErrors?: number } | undefined;
      if (od) parts.push(`eject after ${od.consecutiveErrors ?? 5} errors`);
      return parts.join(', ');
    }
    case 'TimeoutPolicy':
      return `${str(spec.request)} per request${spec.idle ? `, ${str(spec.idle)} idle` : ''}`;
    case 'AuthorizationPolicy': {
      const rules = (spec.rules as { from: string[] }[] | undefined) ?? [];
      if (rules.length === 0) return `${str(spec.action)}: nobody (a default-deny)`;
      return `${str(spec.action)}: ${[...new Set(rules.flatMap((r) => r.from))].join(', ')} · ${rules.length} rule${rules.length === 1 ? '' : 's'}`;
    }
    case 'MutualTLSPolicy': {
      const ref = spec.targetRef as { kind: string; name?: string } | undefined;
      return `${str(spec.mode)} for ${ref?.kind === 'Mesh' ? 'the whole mesh' : ref ? describeTarget(ref) : '?'}`;
    }
    case 'FaultPolicy': {
      const parts: string[] = [];
      const d = spec.delay as { percentage: number; duration: string } | undefined;
      const a = spec.abort as { percentage: number; httpStatus: number } | undefined;
      if (d) parts.push(`delay ${d.duration} on ${d.percentage}%`);
      if (a) parts.push(`abort ${a.httpStatus} on ${a.percentage}%`);
      return parts.join(', ');
    }
    case 'LoadBalancerPolicy': {
      const hash = spec.hashOn as { header?: string; cookie?: string } | undefined;
      const on = hash?.header !== undefined ? ` on header ${hash.header}` : hash?.cookie !== undefined ? ` on cookie ${hash.cookie}` : '';
      return `${str(spec.algorithm)}${on}${spec.localityAware ? ', same zone first' : ''}`;
    }
    case 'MirrorPolicy': {
      const labels = Object.entries((spec.selector as Record<string, string> | undefined) ?? {}).map(([k, v]) => `${k}=${v}`);
      return `${str(spec.percentage ?? 100)}% copied to ${labels.join(', ')}`;
    }
    case 'ScaleToZeroPolicy': {
      const hold = (spec.hold as { timeout?: string; maxRequests?: number } | undefined) ?? {};
      return `to zero after ${str(spec.idleTimeout)} idle; holds ≤ ${str(hold.maxRequests ?? 100)} requests for ${str(hold.timeout ?? '30s')}`;
    }
    case 'CachePolicy':
      return `≤ ${str(spec.maxEntries ?? 1000)} entries${spec.defaultTtl ? `, ${str(spec.defaultTtl)} by default` : ''}`;
    default:
      return '';
  }
}

/** A sensible new policy of `kind` for a target service, to start the form from. */
export function template(kind: EditableKind, target: string, namespace: string) {
  const targetRef = { kind: 'Service', name: target };
  const specs: Record<EditableKind, Spec> = {
    TrafficSplit: {
      targetRef,
      backends: [
        { name: 'v1', selector: { version: 'v1' }, weight: 90 },
        { name: 'v2', selector: { version: 'v2' }, weight: 10 },
      ],
    },
    RetryPolicy: { targetRef, attempts: 3, retryOn: ['5xx', 'connect-failure', 'reset'], perTryTimeout: '500ms', backoff: { baseInterval: '25ms', maxInterval: '250ms' }, budget: { ratio: 0.2, minRetriesPerSecond: 10 } },
    RateLimitPolicy: { targetRef, requestsPerSecond: 100, burst: 100, key: { type: 'None' }, mode: 'Local', failureMode: 'Open' },
    CircuitBreakerPolicy: { targetRef, limits: { maxConnections: 100, maxPendingRequests: 100 }, outlierDetection: { consecutiveErrors: 5, baseEjectionTime: '30s', maxEjectionTime: '5m', maxEjectionPercent: 50 } },
    TimeoutPolicy: { targetRef, request: '2s' },
    FaultPolicy: { targetRef, delay: { percentage: 10, duration: '200ms' } },
    LoadBalancerPolicy: { targetRef, algorithm: 'LeastRequest', localityAware: false },
    MirrorPolicy: { targetRef, selector: { version: 'v2' }, percentage: 10 },
    CachePolicy: { targetRef, maxEntries: 1000, maxEntryBytes: 1048576, maxTotalBytes: 67108864, defaultTtl: '30s' },
    // Callers are for the person to name: a guess could lock out real traffic the moment it is saved.
    AuthorizationPolicy: { targetRef, action: 'Allow', rules: [{ from: [] }] },
    MutualTLSPolicy: { targetRef: target ? targetRef : { kind: 'Mesh' }, mode: 'PERMISSIVE' },
    ScaleToZeroPolicy: { targetRef, idleTimeout: '5m', hold: { timeout: '30s', maxRequests: 100 }, replicas: 1 },
  };
  const suffix: Record<EditableKind, string> = {
    TrafficSplit: 'split',
    RetryPolicy: 'retry',
    RateLimitPolicy: 'rate-limit',
    CircuitBreakerPolicy: 'breaker',
    TimeoutPolicy: 'timeout',
    FaultPolicy: 'fault',
    LoadBalancerPolicy: 'balancer',
    MirrorPolicy: 'mirror',
    CachePolicy: 'cache',
    AuthorizationPolicy: 'callers',
    MutualTLSPolicy: 'mtls',
    ScaleToZeroPolicy: 'scale-to-zero',
  };
  return {
    apiVersion: API_VERSION,
    kind: kind as ResourceKind,
    metadata: { name: target ? `${target}-${suffix[kind]}` : '', namespace: namespace || 'default' },
    spec: specs[kind],
  };
}
