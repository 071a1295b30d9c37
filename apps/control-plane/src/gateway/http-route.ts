import { z } from 'zod';
import { dnsLabel, duration, formatIssues, headerName, routeMatch, type FieldError, type RouteMatch } from '@trellis/shared';

// The part of Gateway API's HTTPRoute (gateway.networking.k8s.io/v1) a mesh uses (GAMMA): parentRefs to a
// Service, matches, weighted backendRefs, the RequestHeaderModifier filter, timeouts. Objects come from the
// API server, which has applied the CRD's defaults (path type PathPrefix, header match type Exact, ...);
// what we cannot honour is refused with the field named, so the route's status says why.

const parentRef = z.object({
  group: z.string().default('gateway.networking.k8s.io'),
  kind: z.string().default('Gateway'),
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  sectionName: z.string().optional(),
});

const backendRef = z.object({
  group: z.string().default(''),
  kind: z.string().default('Service'),
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  weight: z.number().int().min(0).max(1_000_000).default(1),
});

const header = z.object({ name: headerName, value: z.string().max(4096) });
const filter = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('RequestHeaderModifier'),
    requestHeaderModifier: z.object({
      set: z.array(header).max(16).default([]),
      add: z.array(header).max(16).default([]),
      remove: z.array(headerName).max(16).default([]),
    }),
  }),
], { error: 'only the RequestHeaderModifier filter is supported in the mesh' });

const gatewayDuration = duration({ min: 1, max: 24 * 3_600_000 });

const rule = z.object({
  name: z.string().optional(),
  matches: z.array(routeMatch).max(64).default([{ path: { type: 'PathPrefix', value: '/' } }]),
  filters: z.array(filter).max(16).default([]),
  backendRefs: z.array(backendRef).max(16).default([]),
  timeouts: z.object({ request: gatewayDuration.optional(), backendRequest: gatewayDuration.optional() }).optional(),
});

export const httpRouteSpec = z.object({
  parentRefs: z.array(parentRef).min(1, { error: 'needs at least one parentRef (a Service, for the mesh)' }).max(32),
  hostnames: z.array(z.string()).optional(),
  rules: z.array(rule).max(64).default(() => [rule.parse({})]),
});

export type HttpRouteSpec = z.infer<typeof httpRouteSpec>;
export type HttpRouteRule = z.infer<typeof rule>;
export type ParentRef = z.infer<typeof parentRef>;
export type BackendRef = z.infer<typeof backendRef>;

/** One HTTPRoute as the compiler sees it: who it is, how old, and its checked spec. */
export interface HttpRoute {
  namespace: string;
  name: string;
  /** Oldest wins ties in precedence (Gateway API). */
  createdAt: string;
  generation: number | undefined;
  spec: HttpRouteSpec;
}

export type ParsedHttpRoute = { ok: true; spec: HttpRouteSpec } | { ok: false; errors: FieldError[] };

/** Checks an HTTPRoute's spec; errors name the field as `spec.rules[0].matches[1].path.value`. */
export function parseHttpRouteSpec(spec: unknown): ParsedHttpRoute {
  const result = httpRouteSpec.safeParse(spec ?? {});
  if (!result.success) return { ok: false, errors: formatIssues(result.error.issues).map((e) => ({ ...e, path: e.path ? `spec.${e.path}` : 'spec' })) };
  return { ok: true, spec: result.data };
}

/** A parentRef that means a Service of the mesh (GAMMA): core group, kind Service. */
export function isServiceParent(ref: ParentRef): boolean {
  return ref.kind === 'Service' && (ref.group === '' || ref.group === 'core');
}

export type { RouteMatch };
