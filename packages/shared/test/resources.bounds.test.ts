import { describe, expect, it } from 'vitest';
import { checkInputBounds, textProblem } from '../src/index.ts';
import { accept, rejectAt, resource, target } from './support.ts';

// Issue 11: a 50 MB annotation was accepted and stored, a NUL anywhere gave a 500 from Postgres, and a
// `__proto__` key inside a label selector was silently dropped. Every resource is bounded as Kubernetes
// bounds its objects, and checked for text Postgres cannot store before any schema runs.

const split = (selector: unknown) =>
  resource('TrafficSplit', { targetRef: target(), backends: [{ name: 'v1', selector, weight: 100 }] }, { name: 'reviews' });
const retry = (metadata: Record<string, unknown>) => resource('RetryPolicy', { targetRef: target(), attempts: 3 }, { name: 'r', ...metadata });

/** `text` parsed from JSON, so `__proto__` is an own key as it is in a request body, not a prototype. */
const fromJson = (text: string): unknown => JSON.parse(text);

describe('sizes, as Kubernetes has them', () => {
  it('takes annotations up to 256 KiB in total and refuses more, saying how much there is', () => {
    accept('RetryPolicy', retry({ annotations: { note: 'x'.repeat(256 * 1024 - 4) } }));
    const error = rejectAt(retry({ annotations: { note: 'x'.repeat(200 * 1024), other: 'y'.repeat(100 * 1024) } }), 'metadata.annotations', /more than 262144 \(256 KiB\)/);
    expect(error.message).toContain('307209 bytes');
    // Multi-byte characters count as their UTF-8 bytes.
    rejectAt(retry({ annotations: { note: 'é'.repeat(140 * 1024) } }), 'metadata.annotations', /286724 bytes/);
  });

  it('wants annotation keys to be qualified names, like label keys', () => {
    accept('RetryPolicy', retry({ annotations: { 'trellis.dev/owner': 'team-a' } }));
    rejectAt(retry({ annotations: { 'not a key': 'x' } }), 'metadata.annotations.not a key', /must be a Kubernetes label key/);
  });

  it('refuses a label key prefix over 253 characters and a label value over 63', () => {
    accept('RetryPolicy', retry({ labels: { [`${'a'.repeat(253)}/team`]: 'a' } }));
    rejectAt(retry({ labels: { [`${'a'.repeat(254)}/team`]: 'a' } }), `metadata.labels.${'a'.repeat(254)}/team`, /prefix .* at most 253/);
    rejectAt(retry({ labels: { team: 'a'.repeat(64) } }), 'metadata.labels.team', /at most 63/);
  });

  it('refuses names over 253 characters where names are not DNS labels', () => {
    const header = 'x-'.padEnd(254, 'a');
    const withHeader = resource('Service', { routes: [{ name: 'r', match: { headers: [{ name: header, type: 'Exact', value: 'v' }] } }] });
    rejectAt(withHeader, 'spec.routes[0].match.headers[0].name', /at most 253 characters/);
    const lb = resource('LoadBalancerPolicy', { targetRef: target(), algorithm: 'ConsistentHash', hashOn: { cookie: 'c'.repeat(254) } });
    rejectAt(lb, 'spec.hashOn.cookie', /at most 253 characters/);
    rejectAt(resource('Service', { egress: [`${'a'.repeat(200)}.${'b'.repeat(60)}`] }), 'spec.egress[0]', /at most 253 characters/);
  });

  it('refuses lists longer than their limit, naming the list', () => {
    const rules = Array.from({ length: 65 }, () => ({ from: ['*'] }));
    rejectAt(resource('AuthorizationPolicy', { targetRef: target(), action: 'Allow', rules }), 'spec.rules', /at most 64 rules/);
  });
});

describe('text and keys that must never reach the database or the object model', () => {
  it('refuses NUL anywhere, naming the field', () => {
    rejectAt(retry({ name: 'a\u0000b' }), 'metadata.name', /must not contain NUL/);
    rejectAt(retry({ annotations: { note: 'before\u0000after' } }), 'metadata.annotations.note', /must not contain NUL/);
    rejectAt(resource('RetryPolicy', { targetRef: target('pay\u0000ments'), attempts: 3 }), 'spec.targetRef.name', /must not contain NUL/);
    rejectAt({ ...retry({}), status: { note: '\u0000' } }, 'status.note', /must not contain NUL/);
  });

  it('refuses lone UTF-16 surrogates, and keeps well-formed astral characters', () => {
    rejectAt(retry({ annotations: { note: 'a\ud800b' } }), 'metadata.annotations.note', /lone UTF-16 surrogate \\ud800 at character 1/);
    rejectAt(retry({ annotations: { note: 'end\udc00' } }), 'metadata.annotations.note', /lone UTF-16 surrogate \\udc00/);
    accept('RetryPolicy', retry({ annotations: { note: 'rocket 🚀' } }));
  });

  it('refuses a key with NUL and shows it escaped', () => {
    rejectAt(retry({ annotations: { 'a\u0000': 'x' } }), 'metadata.annotations["a\\u0000"]', /field name must not contain NUL/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key like any unknown field: in a selector, labels, annotations and the spec', (key) => {
    rejectAt(fromJson(JSON.stringify(split({ version: 'v1' })).replace('"version":"v1"', `"version":"v1","${key}":{"x":"y"}`)), `spec.backends[0].selector.${key}`, new RegExp(`unknown field spec\\.backends\\[0\\]\\.selector\\.${key}`));
    rejectAt(fromJson(JSON.stringify(retry({ labels: { a: 'b' } })).replace('"a":"b"', `"${key}":"b"`)), `metadata.labels.${key}`, /unknown field/);
    rejectAt(fromJson(JSON.stringify(retry({ annotations: { a: 'b' } })).replace('"a":"b"', `"${key}":"b"`)), `metadata.annotations.${key}`, /unknown field/);
    rejectAt(fromJson(JSON.stringify(retry({})).replace('"attempts":3', `"attempts":3,"${key}":1`)), `spec.${key}`, /unknown field/);
  });

  it('refuses deep nesting and huge arrays anywhere, status included, naming where', () => {
    const deep = fromJson(`{"apiVersion":"trellis.dev/v1alpha1","kind":"Service","metadata":{"name":"s"},"spec":{},"status":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
    const error = rejectAt(deep, `status${'.a'.repeat(31)}`, /nests deeper than 32 levels/);
    expect(error.path.length).toBeLessThan(200);
    rejectAt({ ...resource('Service', {}), status: { list: new Array(20_000).fill(0) } }, 'status.list', /has 20000 items, more than 10000/);
  });
});

describe('checkInputBounds', () => {
  it('accepts ordinary input of any shape', () => {
    expect(checkInputBounds({ a: [1, 'two', { three: null }], b: true, c: 'ünïcödé 🚀' })).toBeUndefined();
    expect(checkInputBounds('plain')).toBeUndefined();
    expect(checkInputBounds(undefined)).toBeUndefined();
  });

  it('finds the problem wherever it is, the first one in document order', () => {
    expect(checkInputBounds({ list: [{ ok: 'x' }, { bad: 'x\u0000' }], later: '\u0000' })).toEqual({ path: 'list[1].bad', message: 'must not contain NUL (\\u0000) characters' });
    expect(textProblem('\ud83d\ude80')).toBeUndefined();
    expect(textProblem('\ude80\ud83d')).toMatch(/lone UTF-16 surrogate \\ude80 at character 0/);
  });
});
