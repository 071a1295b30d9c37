import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 standing in for an app; counts the requests it serves. */
export interface Upstream {
  port: number;
  server: http.Server;
  /** Requests received so far. */
  hits: number;
  /** performance.now() of each request's arrival. */
  hitTimes: number[];
  /** Headers of the last request. */
  lastHeaders: http.IncomingHttpHeaders | undefined;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

const ok =
  (name: string): UpstreamHandler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  };

/** Starts an upstream; the default handler answers 200 with `name` as the body. */
export async function startUpstream(handler: UpstreamHandler | string = 'ok'): Promise<Upstream> {
  const handle = typeof handler === 'string' ? ok(handler) : handler;
  const upstream: Upstream = {
    port: 0,
    hits: 0,
    hitTimes: [],
    lastHeaders: undefined,
    server: http.createServer((req, res) => {
      upstream.hits++;
      upstream.hitTimes.push(performance.now());
      upstream.lastHeaders = req.headers;
      // The body is read before answering, as real apps do, so keep-alive connections stay usable.
      req.resume();
      handle(req, res, upstream.hits);
    }),
    close: () =>
      new Promise<void>((resolve) => {
        upstream.server.closeAllConnections();
        upstream.server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  upstream.port = (upstream.server.address() as AddressInfo).port;
  return upstream;
}

/**
 * Requests per second an upstream received in the middle of a run (its first and last `edgeMs` left
 * out), so start-up and the last stragglers do not skew a rate measured across a whole test.
 */
export function steadyRate(hitTimes: readonly number[], edgeMs = 500): number {
  const first = hitTimes[0] ?? 0;
  const last = hitTimes[hitTimes.length - 1] ?? 0;
  const from = first + edgeMs;
  const to = last - edgeMs;
  if (to <= from) return NaN;
  return hitTimes.filter((t) => t >= from && t <= to).length / ((to - from) / 1000);
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
