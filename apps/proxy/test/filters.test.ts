import { describe, expect, it } from 'vitest';
import { attemptTimeouts } from '../src/chain.ts';
import { CacheStore } from '../src/cache/store.ts';
import { createCache } from '../src/filters/cache.ts';
import { createCircuitBreaker } from '../src/filters/circuit-breaker.ts';
import { createRateLimit } from '../src/filters/rate-limit.ts';
import { createRetry } from '../src/filters/retry.ts';
import { createSplit } from '../src/filters/split.ts';
import { createTimeout } from '../src/filters/timeout.ts';
import type { AnswerLook, Handler, ProxyRequest } from '../src/http/types.ts';
import { LimiterRegistry } from '../src/ratelimit/registry.ts';
import { UpstreamService } from '../src/upstream/service.ts';
import { chain, request, scriptedUpstream, type Answer } from './support/filters.ts';
import { retry } from './support/snapshot.ts';

// Each filter of the request path, in process: a request made here, the filter as the chain builds it,
// and an upstream answering from a script. Sockets, processes and the whole chain have their own tests.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retry', () => {
  it('tries again after a 503 until an attempt succeeds, at most `attempts` tries in all', async () => {
    const upstream = scriptedUpstream([503, 503, 200]);
    const req = request();
    expect((await chain([createRetry(retry({ attempts: 3 }))], upstream)(req)).status).toBe(200);
    expect(upstream.attempts).toHaveLength(3);
    expect(req.outcome.retries).toBe(2);

    const short = scriptedUpstream([503, 503, 200]);
    expect((await chain([createRetry(retry({ attempts: 2 }))], short)(request())).status).toBe(503);
    expect(short.attempts).toHaveLength(2);
  });

  it('retries a reset GET, but not a reset POST, which the upstream may have acted on', async () => {
    const policy = createRetry(retry({ attempts: 3, retryOn: ['reset'] }));
    const get = scriptedUpstream([{ failure: 'reset' }, 200]);
    expect((await chain([policy], get)(request({ method: 'GET' }))).status).toBe(200);
    const post = scriptedUpstream([{ failure: 'reset' }, 200]);
    const answer = await chain([policy], post)(request({ method: 'POST', body: Buffer.from('{}') }));
    expect(answer.failure).toBe('reset');
    expect(post.attempts).toHaveLength(1);
  });

  it('waits out Retry-After on a 429 when told to retry 429s, and hands back one that asks for more than 10 s', async () => {
    const policy = createRetry(retry({ attempts: 2, retryOn: ['retriable-429'] }));
    const waited = scriptedUpstream([{ status: 429, headers: { 'retry-after': '1' } }, 200]);
    expect((await chain([policy], waited)(request())).status).toBe(200);
    const [first, second] = waited.attempts.map((a) => a.at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(950);

    const tooLong = scriptedUpstream([{ status: 429, headers: { 'retry-after': '11' } }, 200]);
    expect((await chain([policy], tooLong)(request())).status).toBe(429);
    expect(tooLong.attempts).toHaveLength(1);

    const notAsked = scriptedUpstream([{ status: 429, headers: { 'retry-after': '0' } }, 200]);
    expect((await chain([createRetry(retry({ attempts: 2 }))], notAsked)(request())).status).toBe(429);
  });

  it('backs off exponentially with full jitter, never longer than the cap', async () => {
    const upstream = scriptedUpstream([503]);
    await chain([createRetry(retry({ attempts: 6, backoffBaseMs: 20, backoffMaxMs: 40 }))], upstream)(request());
    const times = upstream.attempts.map((a) => a.at);
    const gaps = times.slice(1).map((at, i) => at - (times[i] ?? at));
    expect(gaps).toHaveLength(5);
    // Caps 20, 40, 40, 40, 40 ms; a timer may fire late on a busy machine, never early.
    gaps.forEach((gap, i) => expect(gap, `wait before try ${i + 2}`).toBeLessThan(Math.min(40, 20 * 2 ** i) + 60));
    expect(gaps.reduce((a, b) => a + b, 0), 'jittered waits are not all zero').toBeGreaterThan(5);
  });

  it('takes the first answer as it comes from a next handler that shows it (the endpoint call), and retries as before', async () => {
    const answering = (script: Answer[]) => {
      const upstream = scriptedUpstream(script);
      const handler = Object.assign((req: ProxyRequest) => upstream(req), {
        looked: 0,
        answering: (req: ProxyRequest, look: AnswerLook) => {
          handler.looked++;
          return upstream(req).then(look);
        },
      });
      return { upstream, handler };
    };
    const failing = answering([503, 503, 200]);
    const req = request();
    expect((await chain([createRetry(retry({ attempts: 3 }))], failing.handler)(req)).status).toBe(200);
    expect(failing.upstream.attempts).toHaveLength(3);
    expect(req.outcome.retries).toBe(2);
    // The first try through `answering`, the retries through the plain handler.
    expect(failing.handler.looked).toBe(1);

    const final = answering([404, 200]);
    expect((await chain([createRetry(retry({ attempts: 3 }))], final.handler)(request())).status).toBe(404);
    expect(final.upstream.attempts).toHaveLength(1);
    expect(final.handler.looked).toBe(1);
  });

  it('keeps an outage from becoming a retry storm: retries stay within the budget (20 % of requests here)', async () => {
    const upstream = scriptedUpstream([503]);
    const handler = chain([createRetry(retry({ attempts: 5, budgetRatio: 0.2, budgetMinPerSecond: 0 }))], upstream);
    const answers = await Promise.all(Array.from({ length: 500 }, () => handler(request())));
    expect(answers.every((a) => a.status === 503)).toBe(true);
    // Without the budget: 2,500 tries. With it: 500 first tries and about 100 retries.
    expect(upstream.attempts.length).toBeGreaterThan(500);
    expect(upstream.attempts.length).toBeLessThanOrEqual(600);
  });

});

describe('attempt limits', () => {
  it("gives each attempt the retry policy's per-try timeout while it retries, and the TimeoutPolicy's idle timeout", () => {
    expect(attemptTimeouts(retry({ attempts: 2, perTryTimeoutMs: 250 }), { requestMs: 5000, idleMs: 300 })).toEqual({ headersTimeoutMs: 250, bodyTimeoutMs: 300 });
    // A policy that never retries sets no per-try timeout (the route timeout bounds its one try).
    expect(attemptTimeouts(retry({ attempts: 1, perTryTimeoutMs: 250 }), undefined)).toEqual({ headersTimeoutMs: undefined, bodyTimeoutMs: undefined });
    expect(attemptTimeouts(undefined, { requestMs: 5000 })).toEqual({ headersTimeoutMs: undefined, bodyTimeoutMs: undefined });
  });
});

describe('split', () => {
  // Each backend's own chain to its endpoints is the scripted upstream here; it sees the subset on req.route.
  const route = { destination: 'backend.default', name: 'default' };
  const backends = (handle: Handler, v1: number, v2: number) => [
    { weight: v1, route: { ...route, subset: 'v1' }, handle },
    { weight: v2, route: { ...route, subset: 'v2' }, handle },
  ];
  const split = { backends: [] };
  const createdSplit = (handle: Handler, v1: number, v2: number): Handler => createSplit(split, backends(handle, v1, v2)) ?? handle;

  it('sends each backend its weight of the requests (90/10 over 20,000: 10 % ± 1)', async () => {
    const upstream = scriptedUpstream([200]);
    const handler = createdSplit(upstream, 90, 10);
    for (let i = 0; i < 20_000; i++) await handler(request());
    const v2 = upstream.attempts.filter((a) => a.subset === 'v2').length / 20_000;
    expect(v2).toBeGreaterThan(0.09);
    expect(v2).toBeLessThan(0.11);
  });

  it('never sends to a backend of weight 0', async () => {
    const upstream = scriptedUpstream([200]);
    const handler = createdSplit(upstream, 100, 0);
    for (let i = 0; i < 2000; i++) await handler(request());
    expect(upstream.attempts.every((a) => a.subset === 'v1')).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('answers 503 circuit-open beyond maxRequests in flight, and lets requests through once they finish', async () => {
    const service = new UpstreamService('backend.default');
    const upstream = scriptedUpstream([200], 50);
    const handler = chain([createCircuitBreaker({ maxRequests: 2 }, service)], upstream);
    const answers = await Promise.all([handler(request()), handler(request()), handler(request())]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503]);
    expect(answers.find((a) => a.status === 503)?.headers['x-trellis-reason']).toBe('circuit-open');
    expect(service.circuitOpen).toBe(true);
    expect(service.active).toBe(0);
    expect((await handler(request())).status).toBe(200);
    expect(service.circuitOpen).toBe(false);
  });
});

describe('timeout', () => {
  it('answers 504 when the head does not come within the route timeout, and cancels the attempt', async () => {
    const upstream = scriptedUpstream([200], 2000);
    const req = request();
    const started = performance.now();
    const answer = await chain([createTimeout({ requestMs: 50 })], upstream)(req);
    expect(answer.status).toBe(504);
    expect(answer.headers['x-trellis-reason']).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(req.cancellation.reason).toBe('timeout');
    await sleep(0);
    expect(upstream.inFlight).toBe(0);
  });

  it("bounds a gRPC call's own deadline by the route timeout and tells the server the deadline that applies", async () => {
    const upstream = scriptedUpstream([200]);
    await chain([createTimeout({ requestMs: 50 })], upstream)(request({ headers: { 'content-type': 'application/grpc', 'grpc-timeout': '2S' } }));
    await chain([createTimeout({ requestMs: 5000 })], upstream)(request({ headers: { 'content-type': 'application/grpc', 'grpc-timeout': '200m' } }));
    expect(upstream.attempts.map((a) => a.headers['grpc-timeout'])).toEqual(['50m', '200m']);
  });

});

describe('local rate limit', () => {
  const policy = (key: 'None' | 'SourceService') => ({
    id: `RateLimitPolicy/default/test-${key}`,
    requestsPerSecond: 10,
    burst: 5,
    key: { type: key },
    mode: 'Local' as const,
    failureMode: 'Open' as const,
  });

  it('lets a burst through, then answers 429 with Retry-After and RateLimit headers, and refills at the rate', async () => {
    const upstream = scriptedUpstream([200]);
    const handler = chain([createRateLimit(policy('None'), new LimiterRegistry(), undefined)], upstream);
    const burst = await Promise.all(Array.from({ length: 6 }, () => handler(request())));
    expect(burst.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = burst[5];
    expect(refused?.headers['x-trellis-reason']).toBe('rate-limited');
    expect(refused?.headers['retry-after']).toBe('1');
    expect(refused?.headers['ratelimit-limit']).toBe('10');
    expect(refused?.headers['ratelimit-remaining']).toBe('0');
    await sleep(250);
    const later = await Promise.all(Array.from({ length: 5 }, () => handler(request())));
    const allowed = later.filter((a) => a.status === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(2);
    expect(allowed).toBeLessThanOrEqual(4);
  });

  it('keeps one bucket per calling service when keyed by source', async () => {
    const handler = chain([createRateLimit(policy('SourceService'), new LimiterRegistry(), undefined)], scriptedUpstream([200]));
    for (let i = 0; i < 5; i++) await handler(request({ source: 'cart.default' }));
    expect((await handler(request({ source: 'cart.default' }))).status).toBe(429);
    expect((await handler(request({ source: 'checkout.default' }))).status).toBe(200);
  });
});

describe('response cache', () => {
  const limits = { maxEntries: 10, maxEntryBytes: 1024, maxTotalBytes: 4096 };
  const cached = (store: CacheStore, upstream: ReturnType<typeof scriptedUpstream>) => chain([createCache(limits, store)], upstream);
  const text = async (body: unknown) => (Buffer.isBuffer(body) ? body.toString() : String(body));

  it('answers a fresh GET from memory (x-cache HIT, with Age) after the first one went upstream (MISS)', async () => {
    const upstream = scriptedUpstream([{ status: 200, headers: { 'cache-control': 'max-age=60' }, body: 'catalog v1' }]);
    const handler = cached(new CacheStore(limits), upstream);
    const first = await handler(request({ url: '/items' }));
    expect(first.headers['x-cache']).toBe('MISS');
    await sleep(5); // the body streams after the head; the copy is stored when it ends
    const second = await handler(request({ url: '/items' }));
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.age).toBe('0');
    expect(await text(second.body)).toBe('catalog v1');
    expect(upstream.attempts).toHaveLength(1);
    // Another path is another entry.
    await handler(request({ url: '/items?page=2' }));
    expect(upstream.attempts).toHaveLength(2);
  });

  it('stores nothing the rules forbid: no-store answers, POSTs, bodies over maxEntryBytes', async () => {
    for (const [answer, spec] of [
      [{ status: 200, headers: { 'cache-control': 'no-store' }, body: 'secret' }, { url: '/a' }],
      [{ status: 200, headers: { 'cache-control': 'max-age=60' }, body: 'created' }, { url: '/b', method: 'POST', body: Buffer.from('x') }],
      [{ status: 200, headers: { 'cache-control': 'max-age=60' }, body: 'x'.repeat(2048) }, { url: '/c' }],
    ] as const) {
      const upstream = scriptedUpstream([answer]);
      const handler = cached(new CacheStore(limits), upstream);
      await handler(request(spec));
      await sleep(5);
      const again = await handler(request(spec));
      expect(again.headers['x-cache'], `${spec.url}`).not.toBe('HIT');
      expect(upstream.attempts, `${spec.url}`).toHaveLength(2);
    }
  });
});
