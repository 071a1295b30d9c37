import type { MtlsMode } from '@trellis/shared';
import type { GraphNode, ProxyStatus, RouterOutputs, StoredResource } from './trpc';

/** What the Security page shows: `identity.overview`. */
export type SecurityOverview = RouterOutputs['identity']['overview'];
export type ServiceSecurity = SecurityOverview['services'][number];
export type AuthorizationSummary = ServiceSecurity['authorization'];
export type EvaluatedPolicy = AuthorizationSummary['policies'][number];
export type EvaluatedRule = EvaluatedPolicy['rules'][number];
export type BundleRoot = SecurityOverview['bundle']['roots'][number];

/**
 * How an edge's requests travelled, from its `mtlsShare` (the share that went over mutual TLS):
 * every one ("mtls": a locked edge), none ("plain"), some ("mixed"), or no traffic to tell ("unknown").
 */
export type EdgeTls = 'mtls' | 'plain' | 'mixed' | 'unknown';

export function edgeTls(share: number | null | undefined): EdgeTls {
  if (share === null || share === undefined) return 'unknown';
  if (share >= 1) return 'mtls';
  return share <= 0 ? 'plain' : 'mixed';
}

/** The words for an edge's transport: the lock's accessible name, the panel's heading, the table cell. */
export const EDGE_TLS_LABEL: Record<EdgeTls, string> = {
  mtls: 'mutual TLS',
  plain: 'plain HTTP',
  mixed: 'partly plain HTTP',
  unknown: 'no traffic',
};

export const MTLS_MODE_INFO: Record<MtlsMode, { tone: 'ok' | 'warn' | 'bad'; says: string }> = {
  STRICT: { tone: 'ok', says: 'only mutual TLS from mesh proxies; plain HTTP is refused' },
  PERMISSIVE: { tone: 'warn', says: 'mutual TLS from the mesh, and plain HTTP from callers outside it (who are “external”)' },
  DISABLE: { tone: 'bad', says: 'plain HTTP only; callers in the mesh connect in the clear and are seen as external' },
};

export function isMtlsMode(mode: unknown): mode is MtlsMode {
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE';
}

/** "45 s", "12 min", "8 h", "10 years": a span of time as people say it. */
export function fmtSpan(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  const d = Math.round(h / 24);
  return d < 730 ? `${d} days` : `${Math.round(d / 365)} years`;
}

/** "in 23 h", "in 12 min", "expired 3 min ago": how long a certificate has left. */
export function fmtUntil(at: string | number, now = Date.now()): string {
  const ms = (typeof at === 'number' ? at : new Date(at).getTime()) - now;
  return ms >= 0 ? `in ${fmtSpan(ms)}` : `expired ${fmtSpan(ms)} ago`;
}

/** "1 Dec 2026, 12:22 UTC": an absolute time that reads the same for everyone looking at the mesh. */
export function fmtAbsolute(at: string | number): string {
  const d = new Date(at);
  const date = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
  return `${date}, ${time} UTC`;
}

export type CertificateState = 'valid' | 'expiring' | 'expired' | 'none';

/**
 * A certificate is "expiring" once less than a third of its lifetime is left: proxies renew at two
 * thirds, so one still past that point has missed its renewal (the control plane's own rule).
 */
export function certificateState(notAfter: string | null | undefined, lifetimeMs: number, now = Date.now()): CertificateState {
  if (!notAfter) return 'none';
  const left = new Date(notAfter).getTime() - now;
  if (left <= 0) return 'expired';
  return left < lifetimeMs / 3 ? 'expiring' : 'valid';
}

export const CERTIFICATE_TONE: Record<CertificateState, 'ok' | 'warn' | 'bad' | 'muted'> = { valid: 'ok', expiring: 'warn', expired: 'bad', none: 'muted' };

/**
 * The SPIFFE IDs a workload's proxies proved. Services with an inbound port carry them in the graph;
 * workloads that only call (the demo's load generator) have no endpoint, so they come from the proxies.
 */
export function identitiesOf(nodeId: string, node: GraphNode | undefined, proxies: readonly ProxyStatus[] | undefined): string[] {
  const known = node?.security?.identities ?? [];
  if (known.length > 0) return known;
  return [...new Set((proxies ?? []).filter((p) => p.connected && `${p.service}.${p.namespace}` === nodeId).map((p) => p.identity))].sort();
}

// ---------- who may call: AuthorizationPolicies in words ----------

/** One caller named in a rule, with the identities the control plane resolved it to. */
function describeSource(from: string, resolved: readonly string[]): string {
  if (from === '*') return 'anyone (callers outside the mesh too)';
  if (from === 'external') return 'callers outside the mesh';
  if (from.startsWith('spiffe://')) return from;
  const [name = from, namespace] = from.split('.');
  const suffix = `/sa/${name}`;
  const ids = resolved.filter((id) => id.endsWith(suffix) && (!namespace || id.includes(`/ns/${namespace}/`)));
  return ids.length > 0 ? `${from} (${ids.join(', ')})` : from;
}

type PathRule = EvaluatedRule['paths'][number];

function describePath(p: PathRule): string {
  if (p.type === 'Exact') return p.value;
  if (p.type === 'PathPrefix') return `${p.value}*`;
  return `~${p.value}`;
}

/** "POST /charge", "GET, HEAD any path", "any request". */
export function describeRequests(rule: Pick<EvaluatedRule, 'paths' | 'methods'>): string {
  const methods = rule.methods.join(', ');
  const paths = rule.paths.map(describePath).join(', ');
  if (methods && paths) return `${methods} ${paths}`;
  if (methods) return `${methods} on any path`;
  if (paths) return `any method on ${paths}`;
  return 'any request';
}

/** "Allow: cart (spiffe://trellis.local/ns/default/sa/cart) — POST /charge" */
export function describeRule(action: string, rule: EvaluatedRule): string {
  return `${action}: ${rule.from.map((f) => describeSource(f, rule.identities)).join(', ')} — ${describeRequests(rule)}`;
}

// ---------- which MutualTLSPolicy sets a service's mode ----------

interface ScopeRef {
  kind: string;
  name?: string;
  namespace?: string;
}

function scopeOf(r: StoredResource): ScopeRef | undefined {
  const ref = (r.spec as { targetRef?: unknown }).targetRef;
  return ref && typeof ref === 'object' && 'kind' in ref && typeof ref.kind === 'string' ? (ref as ScopeRef) : undefined;
}

/**
 * The MutualTLSPolicy that decides a service's inbound mode, by the control plane's rule: the most
 * specific wins (Service over Namespace over Mesh) and, among equals, the oldest (then the name).
 */
export function mtlsPolicyFor(policies: readonly StoredResource[], name: string, namespace: string): StoredResource | undefined {
  const sorted = policies
    .filter((r) => r.kind === 'MutualTLSPolicy')
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  const find = (match: (ref: ScopeRef, r: StoredResource) => boolean) =>
    sorted.find((r) => {
      const ref = scopeOf(r);
      return ref ? match(ref, r) : false;
    });
  return (
    find((ref, r) => ref.kind === 'Service' && ref.name === name && (ref.namespace ?? r.metadata.namespace) === namespace) ??
    find((ref) => ref.kind === 'Namespace' && ref.name === namespace) ??
    find((ref) => ref.kind === 'Mesh')
  );
}

/** Where a service's block on the Security page is (`/security#service-payments.default`). */
export function securityHref(serviceId?: string): string {
  return serviceId ? `/security#service-${serviceId}` : '/security';
}
