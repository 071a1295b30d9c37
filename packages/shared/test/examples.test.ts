import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RESOURCE_KINDS, describeErrors, parseResource, type Resource, type ResourceKind } from '../src/index.ts';

// Every file in examples/ must be valid, and every kind must have one. (The CLI's tests apply them all
// to a real control plane; this only checks them against the schemas, fast.)

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples');
const files = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();

/** "RetryPolicy" -> "retry-policy.yaml": one file per kind, named after it. */
const fileFor = (kind: ResourceKind) => `${kind.replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.yaml`;

/** Every document of a file as plain data, failing on YAML errors (empty documents are skipped). */
function documents(file: string): unknown[] {
  const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
  return parseAllDocuments(text).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

/** Every example resource, parsed, with the file it came from. */
function parsedExamples(): { file: string; resource: Resource }[] {
  return files.flatMap((file) =>
    documents(file).map((doc, i) => {
      const result = parseResource(doc);
      if (!result.ok) throw new Error(`${file}: document ${i + 1}: ${describeErrors(result.errors)}`);
      return { file, resource: result.resource };
    }),
  );
}

describe('examples/', () => {
  it('holds YAML files', () => {
    expect(files.length).toBeGreaterThanOrEqual(RESOURCE_KINDS.length);
  });

  it.each(files)('%s parses as YAML and every resource in it is valid', (file) => {
    const docs = documents(file);
    expect(docs.length).toBeGreaterThan(0);
    docs.forEach((doc, i) => {
      const result = parseResource(doc);
      expect(result.ok, `${file}: document ${i + 1}: ${result.ok ? '' : describeErrors(result.errors)}`).toBe(true);
    });
  });

  it('has an example of every kind, in a file named after it that holds that kind only', () => {
    const examples = parsedExamples();
    for (const kind of RESOURCE_KINDS) {
      const inFile = examples.filter((e) => e.file === fileFor(kind));
      expect(inFile.length, `${fileFor(kind)} should hold a ${kind}`).toBeGreaterThan(0);
      expect(inFile.every((e) => e.resource.kind === kind), `${fileFor(kind)} should hold ${kind} resources only`).toBe(true);
    }
    expect(files).toEqual(RESOURCE_KINDS.map(fileFor).sort());
  });

  it('explains itself: every file is commented, and shows how to apply it', () => {
    for (const file of files) {
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      const comments = text.split('\n').filter((line) => line.trim().startsWith('#'));
      expect(comments.length, `${file} has too few comments`).toBeGreaterThanOrEqual(8);
      expect(text).toContain(`npx trellis apply -f examples/${file}`);
    }
  });

  it('is one coherent shop: every policy aimed at a Service targets one (and a route) that service.yaml declares', () => {
    const examples = parsedExamples();
    const services = new Map(
      examples.flatMap(({ resource: r }) => (r.kind === 'Service' ? [[r.metadata.name, new Set(r.spec.routes.map((route) => route.name))] as const] : [])),
    );
    expect([...services.keys()].sort()).toEqual(['cart', 'catalog', 'frontend', 'payments', 'ratings', 'reviews']);
    for (const { file, resource: r } of examples) {
      expect(r.metadata.namespace, file).toBe('default');
      if (r.kind === 'Service') {
        for (const egress of r.spec.egress ?? []) expect(services.has(egress.split('.')[0] ?? ''), `${file}: egress ${egress}`).toBe(true);
        continue;
      }
      const target = r.spec.targetRef;
      if (target.kind !== 'Service') continue;
      const { name } = target;
      const route = 'route' in target ? target.route : undefined;
      expect(services.has(name), `${file}: targets unknown service ${name}`).toBe(true);
      if (route !== undefined) expect(services.get(name)?.has(route), `${file}: ${name} has no route ${route}`).toBe(true);
    }
  });

  it('is listed, with the apply command, in examples/README.md', () => {
    const readme = readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');
    for (const file of files) expect(readme, `README.md should list ${file}`).toContain(`(${file})`);
    expect(readme).toContain('npx trellis apply -f examples/retry-policy.yaml');
  });
});
