import { RE2JS } from 're2js';

// What the Kubernetes API server checks on a CRD's openAPIV3Schema before it accepts it (apiextensions
// "structural schema" rules), which the JSON shape of a CRD (kubernetes-models) does not: every node has
// a type, no type or properties inside allOf/anyOf/oneOf/not, never properties beside
// additionalProperties, only formats it knows, patterns that Go's regexp (RE2) compiles.

const FORMATS = new Set(['int32', 'int64', 'float', 'double', 'byte', 'date', 'date-time', 'uri', 'uuid', 'email', 'hostname', 'ipv4', 'ipv6', 'password', 'binary']);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
const NOT_IN_JUNCTORS = ['type', 'additionalProperties', 'description', 'default', 'nullable', 'properties', 'items'];

type Node = Record<string, unknown>;

/** Every way `schema` falls short of a structural schema, each with its path; empty when it is one. */
export function structuralProblems(schema: Node, where = ''): string[] {
  const problems: string[] = [];
  const free = schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof schema.type !== 'string' && !free) problems.push(`${where || '.'}: no type`);
  if (schema.properties && schema.additionalProperties !== undefined) problems.push(`${where}: properties and additionalProperties together`);
  if (schema.additionalProperties === false) problems.push(`${where}: additionalProperties: false`);
  if (typeof schema.format === 'string' && !FORMATS.has(schema.format)) problems.push(`${where}: unknown format "${schema.format}"`);
  if (typeof schema.exclusiveMinimum === 'number' || typeof schema.exclusiveMaximum === 'number') problems.push(`${where}: exclusive bounds must be booleans in OpenAPI v3.0`);
  for (const key of ['$schema', '$ref', '$defs', 'const', 'propertyNames'] as const) if (key in schema) problems.push(`${where}: "${key}" is not allowed`);
  const check = (node: Node, path: string) => {
    if (typeof node.pattern === 'string') {
      try {
        RE2JS.compile(node.pattern);
      } catch (err) {
        problems.push(`${path}: pattern does not compile in RE2: ${(err as Error).message}`);
      }
    }
  };
  check(schema, where);
  for (const j of JUNCTORS) {
    const inner = schema[j];
    const list = Array.isArray(inner) ? (inner as Node[]) : inner ? [inner as Node] : [];
    list.forEach((n, i) => {
      for (const key of NOT_IN_JUNCTORS) if (key in n) problems.push(`${where}.${j}[${i}]: "${key}" is not allowed inside ${j}`);
      check(n, `${where}.${j}[${i}]`);
    });
  }
  for (const [k, v] of Object.entries((schema.properties as Record<string, Node> | undefined) ?? {})) problems.push(...structuralProblems(v, `${where}.${k}`));
  if (schema.items) problems.push(...structuralProblems(schema.items as Node, `${where}[]`));
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') problems.push(...structuralProblems(schema.additionalProperties as Node, `${where}.*`));
  return problems;
}
