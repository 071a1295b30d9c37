import { describe, expect, it } from 'vitest';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { z } from 'zod';
import { RESOURCE_KINDS, resourceSchemas } from '@trellis/shared';
import { crdNames, customResourceDefinition, customResourceDefinitions, specSchema } from '../src/kubernetes/crds.ts';
import { structuralSchema } from '../src/kubernetes/structural-schema.ts';
import { structuralProblems } from './support/structural-schema.ts';

describe('CustomResourceDefinitions generated from the zod schemas', () => {
  it('has one CRD per kind, group trellis.dev, version v1alpha1, with the status subresource', () => {
    const crds = customResourceDefinitions();
    expect(crds.map((c) => c.spec.names.kind)).toEqual(RESOURCE_KINDS);
    for (const crd of crds) {
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.trellis.dev`);
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources])).toEqual([['v1alpha1', true, true, { status: {} }]]);
    }
    expect(crdNames('RetryPolicy').plural).toBe('retrypolicies');
    expect(crdNames('MutualTLSPolicy').plural).toBe('mutualtlspolicies');
  });

  it('validates against the Kubernetes CustomResourceDefinition schema', () => {
    for (const crd of customResourceDefinitions()) expect(() => new CustomResourceDefinition(crd as never).validate()).not.toThrow();
  });

  it('has a structural openAPIV3Schema (every node typed, no junctor types, RE2 patterns) for every kind', () => {
    for (const crd of customResourceDefinitions()) {
      const version = crd.spec.versions[0];
      expect(structuralProblems(version?.schema.openAPIV3Schema as never, crd.spec.names.kind)).toEqual([]);
    }
  });

  it('finds what the API server would refuse in a schema as zod writes it (the check can fail)', () => {
    const raw = z.toJSONSchema(resourceSchemas.RetryPolicy.shape.spec, { io: 'input' }) as Record<string, unknown>;
    const problems = structuralProblems(raw, 'RetryPolicy.spec');
    expect(problems).toContain('RetryPolicy.spec: "$schema" is not allowed');
    expect(problems).toContain('RetryPolicy.spec.targetRef.kind: "const" is not allowed');
    expect(structuralProblems({ type: 'string', pattern: '(?=x)' }, 'p')[0]).toMatch(/^p: pattern does not compile in RE2/);
  });

  it('carries the zod schema\'s bounds, enums and required fields into the spec schema', () => {
    const split = specSchema('TrafficSplit');
    expect(split.required).toEqual(['targetRef', 'backends']);
    const backends = split.properties?.backends;
    expect(backends).toMatchObject({ type: 'array', minItems: 1, maxItems: 16 });
    expect(backends?.items?.properties?.weight).toEqual({ type: 'integer', minimum: 0, maximum: 100 });
    expect(backends?.items?.properties?.selector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    const retry = specSchema('RetryPolicy');
    // A field with a default may be left out, as with `trellis apply`.
    expect(retry.required).toEqual(['targetRef', 'attempts']);
    expect(retry.properties?.retryOn?.items?.enum).toEqual([
      '5xx',
      'gateway-error',
      'connect-failure',
      'reset',
      'retriable-429',
      'unavailable',
      'resource-exhausted',
      'cancelled',
      'deadline-exceeded',
      'internal',
    ]);
    // requestsPerSecond is positive(): OpenAPI 3.0's exclusive minimum.
    expect(specSchema('RateLimitPolicy').properties?.requestsPerSecond).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true });
  });

  it('turns a discriminated union into one object with every branch\'s fields and the discriminator\'s values', () => {
    const target = specSchema('MutualTLSPolicy').properties?.targetRef;
    expect(target?.type).toBe('object');
    expect(target?.properties?.kind?.enum).toEqual(['Mesh', 'Namespace', 'Service']);
    expect(Object.keys(target?.properties ?? {})).toEqual(['kind', 'name', 'namespace']);
    expect(target?.required).toEqual(['kind']);
  });

  it('says where a schema has no structural form, instead of writing a CRD Kubernetes would refuse', () => {
    expect(() => structuralSchema({ anyOf: [{ type: 'string' }, { type: 'boolean' }] }, 'X.spec.flag')).toThrow('X.spec.flag: a union of string and boolean has no structural schema');
    expect(() => structuralSchema({}, 'X.spec.any')).toThrow('X.spec.any: no structural type');
  });

  it('shows the target, weights, Accepted and Proxies columns in kubectl get', () => {
    const columns = customResourceDefinition('TrafficSplit').spec.versions[0]?.additionalPrinterColumns.map((c) => `${c.name}=${c.jsonPath}`);
    expect(columns).toEqual([
      'Target=.spec.targetRef.name',
      'Backends=.spec.backends[*].name',
      'Weights=.spec.backends[*].weight',
      'Accepted=.status.conditions[?(@.type=="Accepted")].status',
      'Proxies=.status.proxies',
      'Age=.metadata.creationTimestamp',
    ]);
  });
});
