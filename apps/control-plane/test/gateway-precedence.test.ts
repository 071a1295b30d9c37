import { describe, expect, it } from 'vitest';
import { parseHttpRouteSpec, type HttpRoute } from '../src/gateway/http-route.ts';
import { GatewayRouteTable } from '../src/gateway/route-table.ts';

// Gateway API's HTTPRoute precedence, as the GAMMA conformance cases exercise it (mesh HTTPRoute matching):
// exact path > longest prefix > method > most headers > most query params > oldest route > namespace/name.

const route = (name: string, rules: unknown[], createdAt = '2026-01-01T00:00:00.000Z', namespace = 'default'): HttpRoute => {
  const parsed = parseHttpRouteSpec({ parentRefs: [{ group: '', kind: 'Service', name: 'echo' }], rules });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { name, namespace, createdAt, generation: 1, spec: parsed.spec };
};
const to = (backend: string) => ({ backendRefs: [{ group: '', kind: 'Service', name: backend, port: 80 }] });
const order = (table: GatewayRouteTable) => table.routesFor('echo.default').map((r) => r.split?.backends[0]?.name);

describe('HTTPRoute precedence in the mesh (GAMMA)', () => {
  it('an exact path beats the longest prefix, which beats a shorter one; regular expressions come after prefixes', () => {
    const table = new GatewayRouteTable();
    table.set(route('a', [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], ...to('root') },
      { matches: [{ path: { type: 'RegularExpression', value: '/v[0-9]+' } }], ...to('regex') },
      { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], ...to('prefix-v2') },
      { matches: [{ path: { type: 'Exact', value: '/v2' } }], ...to('exact-v2') },
      { matches: [{ path: { type: 'PathPrefix', value: '/v2/example' } }], ...to('prefix-v2-example') },
    ]));
    expect(order(table)).toEqual(['exact-v2', 'prefix-v2-example', 'prefix-v2', 'root', 'regex']);
  });

  it('with equal paths: a method match, then more headers, then more query params win', () => {
    const table = new GatewayRouteTable();
    const header = (name: string) => ({ type: 'Exact', name, value: '1' });
    table.set(route('a', [
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, queryParams: [header('q')] }], ...to('one-query') },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [header('a')] }], ...to('one-header') },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [header('a'), header('b')] }], ...to('two-headers') },
      { matches: [{ path: { type: 'PathPrefix', value: '/' }, method: 'POST' }], ...to('method') },
    ]));
    expect(order(table)).toEqual(['method', 'two-headers', 'one-header', 'one-query']);
  });

  it('ties go to the oldest route, then to namespace/name in alphabetical order', () => {
    const table = new GatewayRouteTable();
    const same = [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }];
    table.set(route('zeta', [{ ...same[0], ...to('zeta-old') }], '2026-01-01T00:00:00.000Z'));
    table.set(route('beta', [{ ...same[0], ...to('beta-new') }], '2026-02-01T00:00:00.000Z'));
    table.set(route('alpha', [{ ...same[0], ...to('alpha-new') }], '2026-02-01T00:00:00.000Z'));
    expect(order(table)).toEqual(['zeta-old', 'alpha-new', 'beta-new']);
  });

  it('compiles weights, header modifiers and timeouts; a rule without matches matches every path', () => {
    const table = new GatewayRouteTable();
    table.set(route('split', [{
      backendRefs: [{ group: '', kind: 'Service', name: 'echo-v1', weight: 80 }, { group: '', kind: 'Service', name: 'echo', weight: 20 }],
      filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'X-Mesh', value: 'yes' }], remove: ['x-drop'] } }],
      timeouts: { request: '2s', backendRequest: '500ms' },
    }]));
    expect(table.routesFor('echo.default')).toEqual([{
      name: 'split-r0-m0',
      match: { path: { type: 'PathPrefix', value: '/' } },
      // The parent as its own backend means its own endpoints (no `service`).
      split: { backends: [{ name: 'echo-v1', selector: {}, weight: 80, service: 'echo-v1.default' }, { name: 'echo', selector: {}, weight: 20 }] },
      requestHeaders: { set: [{ name: 'X-Mesh', value: 'yes' }], add: [], remove: ['x-drop'] },
      requestMs: 2000,
      backendRequestMs: 500,
    }]);
  });

  it('refuses what it cannot honour, naming the field', () => {
    const bad = parseHttpRouteSpec({
      parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
      rules: [{ matches: [{ path: { type: 'RegularExpression', value: '(' } }], filters: [{ type: 'RequestRedirect', requestRedirect: {} }] }],
    });
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.errors.map((e) => e.path);
    expect(paths).toContain('spec.rules[0].matches[0].path.value');
    expect(paths.some((p) => p.startsWith('spec.rules[0].filters[0]'))).toBe(true);
  });
});
