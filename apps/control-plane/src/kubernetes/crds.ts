import { z } from 'zod';
import { API_VERSION, RESOURCE_KINDS, resourceSchemas, type ResourceKind } from '@trellis/shared';
import { structuralSchema, type OpenApiSchema } from './structural-schema.ts';
import { CRD_GROUP, CRD_VERSION, crdPlural } from './crd-names.ts';

// The CustomResourceDefinitions of every kind, generated from the zod schemas in packages/shared (the one
// source of truth for shapes). `trellis install` prints them, deploy/ keeps a copy that a test holds to
// this code. The CRD schema is the structural part of the zod schema (types, enums, bounds, patterns);
// what zod checks beyond that (weights adding up to 100, names listed twice, RE2 compiling) is checked
// by the control plane, which answers an invalid custom resource with an Accepted=False condition.

export { CRD_GROUP, CRD_VERSION, crdPlural };

/** The names Kubernetes knows a kind by: plural (the URL path), singular, short names. */
export interface CrdNames {
  kind: ResourceKind;
  listKind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories: string[];
}

// kubectl's short names; none shadows a built-in one (svc, ts is free, ...).
const SHORT_NAMES: Partial<Record<ResourceKind, string[]>> = {
  TrafficSplit: ['tsplit'],
  RetryPolicy: ['retries'],
  TimeoutPolicy: ['timeouts'],
  RateLimitPolicy: ['ratelimits'],
  CircuitBreakerPolicy: ['breakers'],
  AuthorizationPolicy: ['authzpolicy'],
  MutualTLSPolicy: ['mtlspolicy'],
};

/** The plural, singular and list names of a kind, as its custom resource has them. */
export function crdNames(kind: ResourceKind): CrdNames {
  const singular = kind.toLowerCase();
  const plural = crdPlural(kind);
  const shortNames = SHORT_NAMES[kind];
  return { kind, listKind: `${kind}List`, plural, singular, ...(shortNames ? { shortNames } : {}), categories: ['trellis'] };
}

/**
 * The status every custom resource of ours carries (agreed with the custom-resource sync): whether the
 * control plane accepted it (conditions, Kubernetes' metav1.Condition shape) and how many proxies run it.
 */
export const CRD_STATUS_SCHEMA: OpenApiSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    conditions: {
      type: 'array',
      maxItems: 8,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
        properties: {
          type: { type: 'string', maxLength: 316 },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: { type: 'string', maxLength: 1024 },
          message: { type: 'string', maxLength: 32768 },
          observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
    proxies: { type: 'integer', format: 'int32', minimum: 0, description: 'How many connected proxies run the config this resource is part of.' },
  },
};

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

function printerColumns(kind: ResourceKind, spec: OpenApiSchema): PrinterColumn[] {
  const columns: PrinterColumn[] = [];
  const specProps = spec.properties ?? {};
  if ('targetRef' in specProps) columns.push({ name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name', description: 'The service (or namespace) the policy attaches to' });
  if (kind === 'TrafficSplit') {
    columns.push({ name: 'Backends', type: 'string', jsonPath: '.spec.backends[*].name' });
    columns.push({ name: 'Weights', type: 'string', jsonPath: '.spec.backends[*].weight' });
  }
  if (kind === 'MutualTLSPolicy') columns.push({ name: 'Mode', type: 'string', jsonPath: '.spec.mode' });
  if (kind === 'ScaleToZeroPolicy') columns.push({ name: 'Idle', type: 'string', jsonPath: '.spec.idleTimeout', description: 'Scaled to zero after this long without a request' });
  if (kind === 'AuthorizationPolicy') columns.push({ name: 'Action', type: 'string', jsonPath: '.spec.action' });
  columns.push({ name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' });
  columns.push({ name: 'Proxies', type: 'integer', jsonPath: '.status.proxies', description: 'Connected proxies that run it' });
  columns.push({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
  return columns;
}

/** The OpenAPI v3 (structural) schema of one kind's spec, from its zod schema. */
export function specSchema(kind: ResourceKind): OpenApiSchema {
  // io: 'input' so fields with a default are optional, as a user may leave them out.
  const json = z.toJSONSchema(resourceSchemas[kind].shape.spec, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return structuralSchema(json as Record<string, unknown>, `${kind}.spec`);
}

/** The CustomResourceDefinition of one kind. */
export function customResourceDefinition(kind: ResourceKind) {
  const names = crdNames(kind);
  const spec = specSchema(kind);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${CRD_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'trellis', 'trellis.dev/crd-schema': schemaDigest(spec) },
    },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { kind: names.kind, listKind: names.listKind, plural: names.plural, singular: names.singular, ...(names.shortNames ? { shortNames: names.shortNames } : {}), categories: names.categories },
      versions: [
        {
          name: CRD_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(kind, spec),
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `Trellis ${kind} (${API_VERSION}); the same YAML \`trellis apply\` takes.`,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status: CRD_STATUS_SCHEMA,
              },
            },
          },
        },
      ],
    },
  };
}

export type CustomResourceDefinition = ReturnType<typeof customResourceDefinition>;

/** Every kind's CRD, in the order of RESOURCE_KINDS. */
export function customResourceDefinitions(): CustomResourceDefinition[] {
  return RESOURCE_KINDS.map(customResourceDefinition);
}

/**
 * A short digest of a spec schema, kept as a label on the CRD: `trellis check --kubernetes` compares the
 * installed CRD's label with this build's to tell whether the CRDs are current.
 */
export function schemaDigest(schema: OpenApiSchema): string {
  // FNV-1a over the canonical JSON: small, stable, no crypto needed for "did it change".
  const text = JSON.stringify(schema);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
