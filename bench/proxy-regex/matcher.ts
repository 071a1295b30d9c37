// `npx tsx bench/proxy-regex/matcher.ts`: the per-request cost of what issue 11 added to the proxy's
// request path, measured in one process so other programs on the machine barely move it: route
// matching with RE2 (re2js, now) against V8's RegExp (before), and the Host/target check every request
// now goes through. run.mjs measures whole proxies; on a shared machine its noise is larger than these
// differences, which is why this one exists.
import type { IncomingMessage } from 'node:http';
import type { RouteMatch } from '@trellis/shared';
import { compileMatch } from '../../apps/proxy/src/config/match.ts';
import { readRequestHead } from '../../apps/proxy/src/http/request-head.ts';
import type { ProxyRequest } from '../../apps/proxy/src/http/types.ts';

const REQUEST_PATH = '/api/v1/users/42';
const regexPath = (value: string): RouteMatch => ({ path: { type: 'RegularExpression', value } });
const TABLES: Record<string, RouteMatch[]> = {
  prefix: [{ path: { type: 'PathPrefix', value: '/api' } }],
  regex: [regexPath('/api/v[0-9]+/users/[^/]+')],
  'regex x8': [
    ...['orders', 'carts', 'items', 'reviews', 'ratings', 'payments', 'search'].map((r) => regexPath(`/api/v[0-9]+/${r}/[^/]+`)),
    regexPath('/api/v[0-9]+/users/[^/]+'),
  ],
};

/** How routes were matched before issue 11: V8's backtracking RegExp, anchored at both ends. */
function v8Match(match: RouteMatch): (req: ProxyRequest) => boolean {
  const path = match.path;
  if (path?.type !== 'RegularExpression') return compileMatch(match);
  const re = new RegExp(`^(?:${path.value})$`);
  return (req) => re.test(req.path);
}

const request = { path: REQUEST_PATH, method: 'GET', header: () => undefined, url: REQUEST_PATH } as unknown as ProxyRequest;

/** Nanoseconds per call of `fn`, the best of `rounds` timed loops (the least disturbed one). */
function nsPerCall(fn: () => unknown, iterations = 2_000_000, rounds = 7): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / iterations);
  }
  return best;
}

/** First matching route, as the router dispatches. */
const dispatcher = (matchers: Array<(req: ProxyRequest) => boolean>) => () => matchers.findIndex((m) => m(request));

const lines: string[] = ['route table   V8 RegExp (before)   RE2 (now)   difference'];
for (const [name, table] of Object.entries(TABLES)) {
  const before = nsPerCall(dispatcher(table.map(v8Match)), 1_000_000);
  const after = nsPerCall(dispatcher(table.map(compileMatch)), 1_000_000);
  lines.push(`${name.padEnd(12)}  ${before.toFixed(0).padStart(8)} ns          ${after.toFixed(0).padStart(6)} ns   +${(after - before).toFixed(0)} ns per request`);
}

// A typical head as Node hands it to the listener.
const incoming = {
  method: 'GET',
  url: REQUEST_PATH,
  httpVersionMajor: 1,
  httpVersionMinor: 1,
  headers: { host: 'upstream', 'user-agent': 'bench', accept: '*/*', 'x-request-id': 'abc' },
  rawHeaders: ['Host', 'upstream', 'User-Agent', 'bench', 'Accept', '*/*', 'X-Request-Id', 'abc'],
} as unknown as IncomingMessage;
const head = nsPerCall(() => readRequestHead(incoming, {}));
lines.push('', `Host and target check (readRequestHead), every request: ${head.toFixed(0)} ns`);
process.stdout.write(`${lines.join('\n')}\n`);
