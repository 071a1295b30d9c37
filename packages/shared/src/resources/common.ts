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

/**
 * Limits as Kubernetes has them: names that are not DNS labels (label-key prefixes, header, query and
 * cookie names, "name.namespace") at most 253 characters; label values at most 63; all annotations of
 * one resource together at most 256 KiB (keys and values, in UTF-8 bytes).
 */
export const MAX_NAME_LENGTH = 253;
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** Longest exact value or path a match compares with (a request head is at most 16 KiB anyway). */
export const MAX_MATCH_VALUE_LENGTH = 4096;

const atMost = (n: number) => ({ error: `must be at most ${n} characters` });

/** A Kubernetes qualified name, for label and annotation keys: an optional DNS-subdomain prefix and "/", then a name. */
const qualifiedName = z
  .string()
  .max(MAX_NAME_LENGTH + 1 + 63, atMost(MAX_NAME_LENGTH + 1 + 63))
  .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: 'must be a Kubernetes label key (letters, digits, "-", "_", "." with an optional "prefix/")',
  })
  .refine((key) => key.indexOf('/') <= MAX_NAME_LENGTH, { error: `its prefix (before "/") must be at most ${MAX_NAME_LENGTH} characters` });
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  error: 'must be a Kubernetes label value (at most 63 letters, digits, "-", "_", ".")',
});
export const labels = z.record(qualifiedName, labelValue);

/** Bytes of `text` in UTF-8 (what Kubernetes counts), without Buffer so the dashboard can use it too. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point above U+FFFF
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export const annotations = z.record(qualifiedName, z.string()).superRefine((all, ctx) => {
  let total = 0;
  for (const [key, value] of Object.entries(all)) total += utf8Bytes(key) + utf8Bytes(value);
  if (total > MAX_ANNOTATIONS_BYTES) {
    ctx.addIssue({ code: 'custom', message: `are ${total} bytes together, more than ${MAX_ANNOTATIONS_BYTES} (256 KiB); keep large data elsewhere` });
  }
});

export const metadata = z.strictObject({
  name: dnsLabel,
  namespace: dnsLabel.default(DEFAULT_NAMESPACE),
  labels: labels.optional(),
  annotations: annotations.optional(),
  /** Optimistic concurrency: when set, a write is refused unless it names the current version. */
  resourceVersion: z.string().max(20, atMost(20)).regex(/^\d+$/, { error: 'must be a number written as a string' }).optional(),
  // Set by the control plane, accepted back so a fetched resource can be edited and re-applied.
  creationTimestamp: z.string().max(64, atMost(64)).optional(),
  uid: z.string().max(64, atMost(64)).optional(),
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

const matchValue = z.string().max(MAX_MATCH_VALUE_LENGTH, atMost(MAX_MATCH_VALUE_LENGTH));
const pathValue = matchValue.startsWith('/', { error: 'must start with "/"' });
const stringMatchExact = z.strictObject({ type: z.literal('Exact'), value: matchValue.min(1) });
const stringMatchRegex = z.strictObject({ type: z.literal('RegularExpression'), value: regex });

export const pathMatch = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('Exact'), value: pathValue }),
  z.strictObject({ type: z.literal('PathPrefix'), value: pathValue }),
  stringMatchRegex,
]);

/** A header, query parameter or cookie name. */
export const fieldName = z.string().min(1).max(MAX_NAME_LENGTH, atMost(MAX_NAME_LENGTH));
export const headerName = fieldName.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'must be a valid HTTP header name' });

/** "name", "name.namespace" or "*": who may call (authorization) or be called (egress). */
export const serviceReference = z
  .string()
  .max(MAX_NAME_LENGTH, atMost(MAX_NAME_LENGTH))
  .regex(/^(\*|[a-z0-9-]+(\.[a-z0-9-]+)?)$/, { error: 'must be "name", "name.namespace" or "*"' });

export const headerMatch = z.discriminatedUnion('type', [
  stringMatchExact.extend({ name: headerName }),
  stringMatchRegex.extend({ name: headerName }),
]);

export const queryMatch = z.discriminatedUnion('type', [
  stringMatchExact.extend({ name: fieldName }),
  stringMatchRegex.extend({ name: fieldName }),
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
