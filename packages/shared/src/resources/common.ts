import { z } from 'zod';
import { regexProblem } from '../regex.ts';

export const API_VERSION = 'trellis.dev/v1alpha1';
export const DEFAULT_NAMESPACE = 'default';

// DNS-1123 label, the same rule Kubernetes applies to names, so resources can be kept as CRDs.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const dnsLabel = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(63, { error: 'must be at most 63 characters' })
  .regex(DNS_LABEL, { error: 'must be lowercase letters, digits and "-", starting and ending with a letter or digit' });

const labelKey = z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
  error: 'must be a Kubernetes label key (letters, digits, "-", "_", "." with an optional "prefix/")',
});
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  error: 'must be a Kubernetes label value (at most 63 letters, digits, "-", "_", ".")',
});
export const labels = z.record(labelKey, labelValue);

export const metadata = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.default(DEFAULT_NAMESPACE),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  /** Optimistic concurrency: when set, a write is refused unless it names the current version. */
  resourceVersion: z.string().regex(/^\d+$/, { error: 'must be a number written as a string' }).optional(),
  // Set by the control plane, accepted back so a fetched resource can be edited and re-applied.
  creationTimestamp: z.string().optional(),
  uid: z.string().optional(),
});

/** Where a policy attaches, the Gateway API way: a Service, optionally one of its routes or ports. */
export const targetRef = z.strictObject({
  kind: z.literal('Service', { error: 'only kind "Service" can be targeted' }),
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  route: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535).optional(),
});

/**
 * A regular expression given as text: RE2 syntax (matched in linear time, see regex.ts), refused when it
 * does not compile or compiles to too large a program.
 */
export const regex = z
  .string()
  .min(1)
  .max(1024)
  .superRefine((text, ctx) => {
    const problem = regexProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const percentage = z
  .number({ error: 'must be a number from 0 to 100' })
  .min(0, { error: 'must be from 0 to 100' })
  .max(100, { error: 'must be from 0 to 100' });

export const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

const stringMatchExact = z.strictObject({ type: z.literal('Exact'), value: z.string().min(1) });
const stringMatchRegex = z.strictObject({ type: z.literal('RegularExpression'), value: regex });

export const pathMatch = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('Exact'), value: z.string().startsWith('/', { error: 'must start with "/"' }) }),
  z.strictObject({ type: z.literal('PathPrefix'), value: z.string().startsWith('/', { error: 'must start with "/"' }) }),
  stringMatchRegex,
]);

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'must be a valid HTTP header name' });

export const headerMatch = z.discriminatedUnion('type', [
  stringMatchExact.extend({ name: headerName }),
  stringMatchRegex.extend({ name: headerName }),
]);

export const queryMatch = z.discriminatedUnion('type', [
  stringMatchExact.extend({ name: z.string().min(1) }),
  stringMatchRegex.extend({ name: z.string().min(1) }),
]);

/** One request match; every field given must hold (AND). */
export const routeMatch = z.strictObject({
  path: pathMatch.optional(),
  method: httpMethod.optional(),
  headers: z.array(headerMatch).max(16).optional(),
  queryParams: z.array(queryMatch).max(16).optional(),
});

/** Endpoint labels a subset selects, e.g. {version: "v2"}. */
export const selector = labels.refine((l) => Object.keys(l).length > 0, { error: 'must name at least one label' });

export type TargetRef = z.infer<typeof targetRef>;
export type RouteMatch = z.infer<typeof routeMatch>;
export type Metadata = z.input<typeof metadata>;
