// What the floor does under `--mesh`: the least a mesh proxy must do per request under issue 15's
// conditions (routing, tracing at sampling 1.0, metrics on, connected to a control plane), written as
// plainly as it can be, so that `ab.mjs --before floor --after floor+mesh` reads what those conditions
// cost before any design choice of Trellis's. Per request: the Host looked up in a route table, a
// listener on the client's 'close' (to cancel upstream when the client leaves), the latency and status
// counted per route, and a client span admitted at 2,000 a second (as Trellis's SpanBuffer does), sent in
// batches of 32 as JSON over a TLS WebSocket (zero mask key, as Trellis's stream client) to a sink in
// another process; once a second, the counts go the same way.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const SPANS_PER_SECOND = 2000;
const SPAN_BATCH = 32;
const FLUSH_EVERY_MS = 100;
const BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Counts of one route: requests by status, and a latency histogram. */
class RouteStats {
  constructor(destination, name) {
    this.destination = destination;
    this.name = name;
    this.byStatus = new Map();
    this.buckets = new Array(BUCKETS_MS.length + 1).fill(0);
    this.sumMs = 0;
  }

  record(status, durationMs) {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < BUCKETS_MS.length && durationMs > BUCKETS_MS[i]) i++;
    this.buckets[i]++;
    this.sumMs += durationMs;
  }
}

/**
 * `sink`: { url, ca } of the span sink (lib/span-sink.mjs); `hosts`: the Host names routed, to the
 * destination `service`. Returns `route(host)` (undefined: unknown) and `finished(...)` for each response.
 */
export function createMesh({ sink, service, hosts, endpoint }) {
  const routes = new Map();
  for (const host of hosts) routes.set(host, new RouteStats(service, 'default'));
  // The sink's certificate names no IP address; the floor's upstream TLS skips the name check the same way.
  const ws = new WebSocket(sink.url, { ca: sink.ca, checkServerIdentity: () => undefined, perMessageDeflate: false, generateMask: (mask) => mask.fill(0) });
  ws.on('error', (err) => process.stderr.write(`span sink: ${err.message}\n`));
  let spans = [];
  let batchQueued = false;
  let tokens = SPANS_PER_SECOND;
  let countedAt = performance.now();

  const flush = () => {
    batchQueued = false;
    if (spans.length === 0 || ws.readyState !== WebSocket.OPEN) return;
    const batch = spans.length > SPAN_BATCH ? spans.splice(0, SPAN_BATCH) : spans;
    if (batch === spans) spans = [];
    ws.send(JSON.stringify({ type: 'spans', spans: batch }));
  };
  setInterval(flush, FLUSH_EVERY_MS).unref();
  setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const report = [...routes.values()].map((r) => ({ destination: r.destination, route: r.name, byStatus: Object.fromEntries(r.byStatus), buckets: r.buckets, sumMs: r.sumMs }));
    ws.send(JSON.stringify({ type: 'metrics', routes: report }));
  }, 1000).unref();

  const admit = (now) => {
    if (now > countedAt) {
      tokens = Math.min(SPANS_PER_SECOND, tokens + ((now - countedAt) * SPANS_PER_SECOND) / 1000);
      countedAt = now;
    }
    if (tokens < 1) return false;
    tokens--;
    return true;
  };

  return {
    route: (host) => routes.get(host),
    /** One response over: counted, and its client span kept when admitted. */
    finished(route, req, trace, status, startedAt) {
      const now = performance.now();
      const durationMs = now - startedAt;
      route.record(status, durationMs);
      if (!admit(now)) return;
      const q = req.url.indexOf('?');
      const path = q === -1 ? req.url : req.url.slice(0, q);
      spans.push({
        traceId: trace.traceId,
        spanId: trace.spanId,
        kind: 'client',
        service: 'caller.default',
        name: `${req.method} ${route.destination} ${path}`,
        startMs: performance.timeOrigin + startedAt,
        durationMs,
        status,
        error: status >= 500,
        attributes: { route: route.name, destination: route.destination, 'upstream.endpoint': endpoint, 'retry.attempt': 0, 'http.method': req.method, 'http.path': path },
      });
      if (spans.length >= SPAN_BATCH && !batchQueued) {
        batchQueued = true;
        setImmediate(flush);
      }
    },
  };
}
