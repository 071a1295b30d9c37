import { serverEnv } from '@/env';

/** Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);
/** Ours to set: what the browser sent under these names is not passed on. */
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded']);

/**
 * Passes a browser's request for the API (/trpc/*, /auth/*, /healthz) to the control plane named by
 * TRELLIS_SERVER (read per request: one build serves any control plane), and its answer back, bodies
 * streamed both ways. The browser only ever talks to the dashboard's own origin, so its session cookie,
 * SameSite and CSRF rules hold whatever host name it used, and no CORS is needed.
 */
export async function proxyToControlPlane(request: Request): Promise<Response> {
  const server = serverEnv().TRELLIS_SERVER.replace(/\/+$/, '');
  const incoming = new URL(request.url);
  const target = `${server}${incoming.pathname}${incoming.search}`;
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (!HOP_BY_HOP.has(name) && !FORWARDED.has(name)) headers.set(name, value);
  }
  // Who the browser is, for sign-in throttling by address. Next.js keeps an X-Forwarded-For it was sent
  // (or sets the socket's address); its last entry is the one the nearest hop vouches for.
  const forwardedFor = request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
  if (forwardedFor) headers.set('x-forwarded-for', forwardedFor);
  headers.set('x-forwarded-proto', request.headers.get('x-forwarded-proto') === 'https' ? 'https' : 'http');
  headers.set('x-forwarded-host', request.headers.get('host') ?? incoming.host);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : undefined,
      // Streams the request body instead of buffering it (required by fetch for a stream body).
      ...(hasBody ? { duplex: 'half' } : {}),
      redirect: 'manual',
      // The browser going away (page closed) ends the upstream request, and with it a subscription.
      signal: request.signal,
      cache: 'no-store',
    } as RequestInit);
  } catch (err) {
    if (request.signal.aborted) return new Response(null, { status: 499 });
    const message = `the dashboard cannot reach the control plane at ${server} (${(err as Error).message})`;
    return Response.json({ error: { message, code: 'BAD_GATEWAY', httpStatus: 502 } }, { status: 502 });
  }
  const out = new Headers();
  for (const [name, value] of upstream.headers) {
    // fetch() already decoded the body, so its encoding and length no longer describe what we send.
    if (!HOP_BY_HOP.has(name) && name !== 'set-cookie' && name !== 'content-encoding') out.set(name, value);
  }
  for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', cookie);
  if (out.get('content-type')?.startsWith('text/event-stream')) {
    // Live updates: no compression or buffering anywhere on the way (Next.js compresses unless no-transform).
    out.set('cache-control', 'no-cache, no-transform');
    out.set('x-accel-buffering', 'no');
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
