// JSON Schema (as zod's toJSONSchema writes it) to the OpenAPI v3 subset Kubernetes accepts in a CRD: a
// *structural* schema. Kubernetes wants a type on every node, no type or properties inside anyOf/oneOf,
// no additionalProperties beside properties, OpenAPI 3.0's boolean exclusiveMinimum, and only the
// formats it knows. Unions (discriminated by kind or type) become one object with every branch's
// properties and the discriminator's values as an enum: looser than zod, which the control plane runs on
// every custom resource anyway.

/** The part of OpenAPI v3 a CRD schema uses. */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  allOf?: OpenApiSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

type Json = Record<string, unknown>;
const FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'uri', 'uuid', 'email', 'hostname', 'ipv4', 'ipv6']);
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
// JavaScript's safe-integer bounds that zod writes for .int(): Kubernetes' int64 holds them, so they say nothing.
const SAFE = Number.MAX_SAFE_INTEGER;

/** Converts one JSON Schema node; `where` names it in errors (e.g. "TrafficSplit.spec.backends"). */
export function structuralSchema(node: Json, where: string): OpenApiSchema {
  const branches = (node.anyOf ?? node.oneOf) as Json[] | undefined;
  if (branches) return merge(branches.map((b, i) => structuralSchema(b, `${where}[branch ${i}]`)), where, node);
  if ('const' in node) return withDescription({ type: typeOfValue(node.const, where), enum: [node.const] }, node);
  const type = node.type;
  if (typeof type !== 'string' || !TYPES.has(type)) throw new Error(`${where}: no structural type for ${JSON.stringify(node).slice(0, 120)}`);
  const out: OpenApiSchema = { type: type as NonNullable<OpenApiSchema['type']> };
  if (type === 'object') {
    const props = node.properties as Record<string, Json> | undefined;
    if (props && Object.keys(props).length > 0) {
      out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, structuralSchema(v, `${where}.${k}`)]));
      const required = (node.required as string[] | undefined)?.filter((k) => k in props);
      if (required?.length) out.required = required;
    } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      // A record (label maps): its values' schema.
      out.additionalProperties = structuralSchema(node.additionalProperties as Json, `${where}.*`);
    } else {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  } else if (type === 'array') {
    if (!node.items || typeof node.items !== 'object') throw new Error(`${where}: an array without items`);
    out.items = structuralSchema(node.items as Json, `${where}[]`);
    copyNumber(node, out, 'minItems');
    copyNumber(node, out, 'maxItems');
  } else if (type === 'string') {
    copyNumber(node, out, 'minLength');
    copyNumber(node, out, 'maxLength');
    if (Array.isArray(node.enum)) out.enum = node.enum;
    if (typeof node.format === 'string' && FORMATS.has(node.format)) out.format = node.format;
    const patterns = [node.pattern, ...((node.allOf as Json[] | undefined) ?? []).map((a) => a.pattern)].filter((p): p is string => typeof p === 'string');
    const [first, ...rest] = patterns;
    if (first) out.pattern = first;
    if (rest.length) out.allOf = rest.map((pattern) => ({ pattern }));
  } else if (type === 'integer' || type === 'number') {
    if (typeof node.minimum === 'number' && node.minimum > -SAFE) out.minimum = node.minimum;
    if (typeof node.maximum === 'number' && node.maximum < SAFE) out.maximum = node.maximum;
    if (typeof node.exclusiveMinimum === 'number') Object.assign(out, { minimum: node.exclusiveMinimum, exclusiveMinimum: true });
    if (typeof node.exclusiveMaximum === 'number') Object.assign(out, { maximum: node.exclusiveMaximum, exclusiveMaximum: true });
    if (Array.isArray(node.enum)) out.enum = node.enum;
  } else if (Array.isArray(node.enum)) {
    out.enum = node.enum;
  }
  return withDescription(out, node);
}

function withDescription(out: OpenApiSchema, node: Json): OpenApiSchema {
  if (typeof node.description === 'string') out.description = node.description;
  return out;
}

function copyNumber(from: Json, to: OpenApiSchema, key: 'minItems' | 'maxItems' | 'minLength' | 'maxLength'): void {
  const value = from[key];
  if (typeof value === 'number' && value < SAFE) to[key] = value;
}

function typeOfValue(value: unknown, where: string): NonNullable<OpenApiSchema['type']> {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  throw new Error(`${where}: a constant of no structural type`);
}

/** One schema for every branch of a union: they must agree on the type. */
function merge(branches: OpenApiSchema[], where: string, node: Json): OpenApiSchema {
  const types = new Set(branches.map((b) => b.type));
  if (types.size !== 1) {
    if (types.size === 2 && types.has('string') && types.has('integer')) return withDescription({ 'x-kubernetes-int-or-string': true }, node);
    throw new Error(`${where}: a union of ${[...types].join(' and ')} has no structural schema`);
  }
  const [type] = types;
  if (type !== 'object') {
    const values = branches.every((b) => b.enum) ? [...new Set(branches.flatMap((b) => b.enum ?? []))] : undefined;
    return withDescription({ type, ...(values ? { enum: values } : {}) }, node);
  }
  const properties: Record<string, OpenApiSchema> = {};
  for (const b of branches) {
    for (const [key, schema] of Object.entries(b.properties ?? {})) {
      const seen = properties[key];
      // The discriminator (the same key with a constant in every branch): all its values.
      properties[key] = seen?.enum && schema.enum ? { ...seen, enum: [...new Set([...seen.enum, ...schema.enum])] } : (seen ?? schema);
    }
  }
  // Required in the union only when every branch requires it.
  const required = Object.keys(properties).filter((k) => branches.every((b) => b.required?.includes(k)));
  return withDescription({ type: 'object', properties, ...(required.length ? { required } : {}) }, node);
}
