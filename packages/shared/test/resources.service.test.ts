import { describe, expect, it } from 'vitest';
import { accept, rejectAt, rejectIncluding, resource } from './support.ts';

const service = (spec: unknown, name = 'reviews') => resource('Service', spec, { name });
const withRoute = (match: unknown) => service({ routes: [{ name: 'r', match }] });

describe('Service', () => {
  it('accepts a full example: ports, ordered routes with every kind of match, egress and tracing', () => {
    const r = accept(
      'Service',
      service({
        ports: [{ name: 'http', port: 9080 }],
        routes: [
          { name: 'health', match: { path: { type: 'Exact', value: '/healthz' }, method: 'GET' } },
          {
            name: 'by-product',
            match: {
              path: { type: 'RegularExpression', value: '/reviews/[0-9]+' },
              headers: [
                { name: 'x-shop-user', type: 'RegularExpression', value: '(alice|bob)' },
                { name: 'x-canary', type: 'Exact', value: 'true' },
              ],
              queryParams: [{ name: 'sort', type: 'Exact', value: 'newest' }],
            },
          },
          { name: 'all', match: { path: { type: 'PathPrefix', value: '/reviews' } } },
        ],
        egress: ['ratings', 'ratings.default', '*'],
        tracing: { sampling: 0.25 },
      }),
    );
    expect(r.spec.routes.map((route) => route.name)).toEqual(['health', 'by-product', 'all']);
    expect(r.spec.ports).toEqual([{ name: 'http', port: 9080, protocol: 'http' }]);
    expect(r.spec.tracing?.sampling).toBe(0.25);
  });

  it('accepts an empty spec, with no routes', () => {
    const r = accept('Service', service({}));
    expect(r.spec.routes).toEqual([]);
    expect(r.spec.egress).toBeUndefined();
    expect(r.spec.ports).toBeUndefined();
  });

  it('fills in protocol http for a port', () => {
    expect(accept('Service', service({ ports: [{ port: 80 }] })).spec.ports?.[0]?.protocol).toBe('http');
  });

  it('refuses a path regular expression that does not compile, saying why', () => {
    rejectAt(
      withRoute({ path: { type: 'RegularExpression', value: '/reviews/(' } }),
      'spec.routes[0].match.path.value',
      /is not a valid RE2 regular expression \(.*missing closing \)/,
    );
  });

  it('refuses a header regular expression that does not compile, naming the header match', () => {
    rejectAt(
      service({
        routes: [
          { name: 'ok', match: {} },
          { name: 'bad', match: { headers: [{ name: 'x-a', type: 'Exact', value: 'a' }, { name: 'x-user', type: 'RegularExpression', value: '[a-' }] } },
        ],
      }),
      'spec.routes[1].match.headers[1].value',
      /is not a valid RE2 regular expression/,
    );
  });

  it('refuses a query regular expression that does not compile', () => {
    rejectAt(
      withRoute({ queryParams: [{ name: 'q', type: 'RegularExpression', value: '*x' }] }),
      'spec.routes[0].match.queryParams[0].value',
      /is not a valid RE2 regular expression \(.*missing argument to repetition operator/,
    );
  });

  it('refuses what RE2 cannot do in linear time (lookaround, backreferences), naming the field', () => {
    rejectAt(withRoute({ path: { type: 'RegularExpression', value: '/(?!admin).*' } }), 'spec.routes[0].match.path.value', /not a valid RE2 .*no lookahead/);
    rejectAt(
      withRoute({ headers: [{ name: 'x-pair', type: 'RegularExpression', value: '(a+)-\\1' }] }),
      'spec.routes[0].match.headers[0].value',
      /not a valid RE2 .*invalid escape sequence/,
    );
  });

  it('accepts a pattern that backtracking engines blow up on: RE2 matches it in linear time', () => {
    accept('Service', withRoute({ path: { type: 'RegularExpression', value: '/(a+)+b' } }));
  });

  it('refuses a pattern whose compiled program is larger than the limit, saying how to simplify it', () => {
    const error = rejectAt(withRoute({ path: { type: 'RegularExpression', value: '/[a-z]{200}' } }), 'spec.routes[0].match.path.value', /too complex/);
    expect(error.message).toMatch(/more than 100; use fewer or smaller counted repetitions/);
  });

  it('refuses an empty regular expression', () => {
    rejectAt(withRoute({ path: { type: 'RegularExpression', value: '' } }), 'spec.routes[0].match.path.value', />=1 characters/);
  });

  it('wants Exact and PathPrefix paths to start with "/"', () => {
    rejectAt(withRoute({ path: { type: 'PathPrefix', value: 'reviews' } }), 'spec.routes[0].match.path.value', /must start with "\/"/);
    rejectAt(withRoute({ path: { type: 'Exact', value: 'healthz' } }), 'spec.routes[0].match.path.value', /must start with "\/"/);
  });

  it('refuses an unknown match type, listing the known ones', () => {
    rejectAt(
      withRoute({ path: { type: 'Prefix', value: '/reviews' } }),
      'spec.routes[0].match.path.type',
      /Exact.*PathPrefix.*RegularExpression/,
    );
  });

  it('refuses lowercase or unknown methods', () => {
    rejectAt(withRoute({ method: 'get' }), 'spec.routes[0].match.method', /expected one of "GET"/);
    rejectAt(withRoute({ method: 'FETCH' }), 'spec.routes[0].match.method', /expected one of/);
  });

  it('refuses header names HTTP does not allow', () => {
    rejectAt(
      withRoute({ headers: [{ name: 'x user', type: 'Exact', value: 'a' }] }),
      'spec.routes[0].match.headers[0].name',
      /valid HTTP header name/,
    );
  });

  it('refuses a typo inside a match, naming the field', () => {
    rejectAt(withRoute({ paht: { type: 'Exact', value: '/' } }), 'spec.routes[0].match.paht', /unknown field/);
    rejectAt(withRoute({ path: { type: 'Exact', value: '/', vaule: 'x' } }), 'spec.routes[0].match.path.vaule', /unknown field/);
  });

  it('refuses a route name used twice, naming the second one', () => {
    rejectAt(
      service({ routes: [{ name: 'list', match: {} }, { name: 'get', match: {} }, { name: 'list', match: {} }] }),
      'spec.routes[2].name',
      /route "list" is defined twice/,
    );
  });

  it('refuses route names that are not DNS labels', () => {
    rejectAt(service({ routes: [{ name: 'List_All', match: {} }] }), 'spec.routes[0].name', /lowercase/);
  });

  it('refuses egress entries that are not "name", "name.namespace" or "*"', () => {
    rejectAt(service({ egress: ['ratings', 'Ratings'] }), 'spec.egress[1]', /"name", "name\.namespace" or "\*"/);
    rejectAt(service({ egress: ['ratings.default.svc'] }), 'spec.egress[0]', /"name\.namespace"/);
  });

  it('refuses a tracing sampling outside 0..1 (a fraction, not a percentage)', () => {
    rejectAt(service({ tracing: { sampling: 25 } }), 'spec.tracing.sampling', /from 0 to 1/);
    rejectAt(service({ tracing: { sampling: -0.1 } }), 'spec.tracing.sampling', /from 0 to 1/);
  });

  it('refuses ports out of range and protocols it does not speak', () => {
    rejectAt(service({ ports: [{ port: 70000 }] }), 'spec.ports[0].port', /<=65535/);
    rejectIncluding(service({ ports: [{ port: 9080, protocol: 'grpc' }] }), 'spec.ports[0].protocol', /"http"/);
  });

  it('caps the number of header matches in one route', () => {
    const headers = Array.from({ length: 17 }, (_, i) => ({ name: `x-h${i}`, type: 'Exact', value: 'v' }));
    rejectAt(withRoute({ headers }), 'spec.routes[0].match.headers', /<=16/);
  });
});
