import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { UpstreamBody } from '../../src/http/response-body.ts';
import type { HeaderMap } from '../../src/http/headers.ts';
import type { ProxyResponse } from '../../src/http/response.ts';
import { compose, ProxyRequest, type Handler, type Middleware } from '../../src/http/types.ts';

/**
 * Filters in process: the proxy's own filters composed over a request made here and an upstream that
 * answers from a script, so a filter's behaviour (retries, splits, limits, deadlines) is checked in
 * milliseconds, without sockets. What crosses a socket keeps its process-level tests.
 */

export interface RequestSpec {
  method?: string;
  url?: string;
  headers?: HeaderMap;
  /** "name.namespace" of the caller (what the inbound request context would have set). */
  source?: string;
  body?: Buffer | null;
}

/** A request as the listener would hand it to the chain (no socket behind it: nothing here reads one). */
export function request(spec: RequestSpec = {}): ProxyRequest {
  const method = spec.method ?? 'GET';
  const url = spec.url ?? '/';
  const headers: HeaderMap = { host: 'backend', ...spec.headers };
  const incoming = { method, url, headers, httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: [] } as unknown as IncomingMessage;
  const req = new ProxyRequest(incoming, method, url, headers, null, performance.now());
  if (spec.body !== undefined) req.body = spec.body;
  if (spec.source !== undefined) req.source = spec.source;
  return req;
}

/** One answer of a scripted upstream: a status (with headers), or a transport failure. */
export type Answer = number | { status: number; headers?: HeaderMap; body?: string } | { failure: 'connect-failure' | 'reset' | 'timeout' };

/** What the upstream saw of one attempt: when, and what the filters before it had set on the request. */
export interface Attempt {
  at: number;
  subset: string | undefined;
  headers: HeaderMap;
}

/**
 * An upstream answering from `script` in order (the last answer repeats), each after `delayMs` unless
 * the request is cancelled first (then it answers 499, as a caller that went away never reads it).
 */
export function scriptedUpstream(script: Answer[], delayMs = 0): Handler & { attempts: Attempt[]; inFlight: number } {
  let i = 0;
  const attempts: Attempt[] = [];
  const handler = (async (req: ProxyRequest): Promise<ProxyResponse> => {
    attempts.push({ at: performance.now(), subset: req.route.subset, headers: { ...req.headers } });
    const answer = script[Math.min(i++, script.length - 1)] ?? 200;
    handler.inFlight++;
    try {
      if (delayMs > 0) {
        const finished = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), delayMs);
          req.cancellation.onCancel(() => (clearTimeout(timer), resolve(false)));
        });
        if (!finished) return { status: 499, headers: {}, body: null };
      }
    } finally {
      handler.inFlight--;
    }
    req.outcome.attempts++;
    if (typeof answer === 'number') return { status: answer, headers: {}, body: null };
    if ('failure' in answer) {
      req.outcome.failedAttempts++;
      return { status: 503, headers: {}, body: null, failure: answer.failure };
    }
    if (answer.body === undefined) return { status: answer.status, headers: answer.headers ?? {}, body: null };
    return { status: answer.status, headers: { 'content-length': String(Buffer.byteLength(answer.body)), ...answer.headers }, body: streamed(answer.body) };
  }) as Handler & { attempts: Attempt[]; inFlight: number };
  handler.attempts = attempts;
  handler.inFlight = 0;
  return handler;
}

/** A response body that streams `text` after the head has been handed back, as an upstream's does. */
function streamed(text: string): UpstreamBody {
  const controller = { pause() {}, resume() {}, abort() {} } as unknown as Dispatcher.DispatchController;
  const body = new UpstreamBody(controller);
  setImmediate(() => {
    body.push(Buffer.from(text));
    body.complete();
  });
  return body;
}

/** The filters (outermost first; null entries skipped, as the chain does) over `upstream`. */
export function chain(filters: ReadonlyArray<Middleware | null>, upstream: Handler): Handler {
  return compose(filters, upstream);
}
