import type { CompiledCache } from '@trellis/shared';
import { CacheStore } from '../cache/store.ts';
import { freshnessMs, requestPolicy, varyNames } from '../cache/rules.ts';
import type { HeaderMap } from '../http/headers.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { Middleware } from '../http/types.ts';
import { UpstreamBody, type BodyTap } from '../http/response-body.ts';

/** Keeps a copy of a body as it streams to the client, up to `limit` bytes (then it gives up). */
function copyBody(limit: number, onComplete: (body: Buffer) => void): BodyTap {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    data(chunk) {
      if (size > limit) return;
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks = [];
    },
    end(complete) {
      if (complete && size <= limit) onComplete(Buffer.concat(chunks, size));
      chunks = [];
    },
  };
}

function hit(store: CacheStore, key: string, method: string, headers: HeaderMap, now: number): ProxyResponse | undefined {
  const entry = store.get(key, headers, now);
  if (!entry) return undefined;
  const out: HeaderMap = { ...entry.headers, age: String(Math.floor((now - entry.storedAt) / 1000)), 'x-cache': 'HIT' };
  return { status: entry.status, headers: out, body: method === 'HEAD' ? null : entry.body };
}

/**
 * Response caching (a CachePolicy) on the service's own proxy: GET and HEAD answered from memory while
 * fresh (RFC 9111 basics in cache/rules.ts), marked `x-cache: HIT`; other cacheable requests go upstream
 * and are marked `x-cache: MISS`. Bodies are copied while they stream to the client, never held back.
 */
export function createCache(policy: CompiledCache | undefined, store: CacheStore | undefined): Middleware | null {
  if (!policy || !store) return null;
  return (next) => async (req) => {
    const rules = requestPolicy(req.method, req.headers);
    if (!rules.lookup && !rules.store) return next(req);
    const key = req.url;
    if (rules.lookup) {
      const cached = hit(store, key, req.method, req.headers, Date.now());
      if (cached) {
        req.outcome.cache = 'HIT';
        return cached;
      }
    }
    req.outcome.cache = 'MISS';
    const response = await next(req);
    if (response.reason !== undefined) return response;
    response.headers['x-cache'] = 'MISS';
    const ttl = rules.store ? freshnessMs(response.status, response.headers, req.headers.authorization !== undefined, policy.defaultTtlMs) : undefined;
    const declared = Number(response.headers['content-length'] ?? 0);
    const body = response.body;
    if (ttl === undefined || ttl <= 0 || declared > policy.maxEntryBytes || !(body instanceof UpstreamBody)) return response;
    const storedAt = Date.now();
    const vary = CacheStore.varyValues(varyNames(response.headers), req.headers);
    const status = response.status;
    const headers: HeaderMap = { ...response.headers };
    delete headers['x-cache'];
    body.setTap(
      copyBody(policy.maxEntryBytes, (bytes) => {
        headers['content-length'] = String(bytes.length);
        store.put(key, { status, headers, body: bytes, storedAt, expiresAt: storedAt + ttl, vary }, Date.now());
      }),
    );
    return response;
  };
}
