// The demo mesh `trellis up` runs: a small shop. Each workload is a real app with its own sidecar proxy
// (HTTP/1.1, except ratings, which speaks gRPC); apps call each other through their proxy's outbound
// listener, naming the service in Host (or :authority).

export interface Workload {
  /** Unique per workload: service plus version when there are several. */
  id: string;
  service: string;
  version: string;
  zone: string;
  /** What the app serves: HTTP/1.1 (absent), or gRPC over h2c (its sidecar runs with --app-protocol grpc). */
  protocol?: 'grpc';
  /** Services this app calls for every request it serves; a gRPC call names its method as the path. */
  calls: { service: string; path: string; grpc?: true }[];
  /** Share of requests answered with 503, and how slow the app is. */
  failureRate: number;
  latency: { baseMs: number; jitterMs: number; tailShare: number; tailMs: number };
}

export const SHOP: Workload[] = [
  {
    id: 'frontend',
    service: 'frontend',
    version: 'v1',
    zone: 'zone-a',
    calls: [
      { service: 'catalog', path: '/products' },
      { service: 'cart', path: '/cart' },
      { service: 'reviews', path: '/reviews/1' },
    ],
    failureRate: 0,
    latency: { baseMs: 2, jitterMs: 3, tailShare: 0, tailMs: 0 },
  },
  { id: 'catalog', service: 'catalog', version: 'v1', zone: 'zone-a', calls: [], failureRate: 0, latency: { baseMs: 3, jitterMs: 4, tailShare: 0.01, tailMs: 40 } },
  { id: 'cart', service: 'cart', version: 'v1', zone: 'zone-b', calls: [{ service: 'payments', path: '/authorize' }], failureRate: 0, latency: { baseMs: 2, jitterMs: 3, tailShare: 0, tailMs: 0 } },
  { id: 'reviews-v1', service: 'reviews', version: 'v1', zone: 'zone-a', calls: [], failureRate: 0, latency: { baseMs: 4, jitterMs: 4, tailShare: 0, tailMs: 0 } },
  {
    id: 'reviews-v2',
    service: 'reviews',
    version: 'v2',
    zone: 'zone-b',
    calls: [{ service: 'ratings', path: '/trellis.demo.Ratings/GetRating', grpc: true }],
    failureRate: 0.01,
    latency: { baseMs: 6, jitterMs: 6, tailShare: 0.02, tailMs: 80 },
  },
  // A gRPC service: its edge shows calls by grpc-status, UNAVAILABLE for the few it fails.
  { id: 'ratings', service: 'ratings', version: 'v1', zone: 'zone-b', protocol: 'grpc', calls: [], failureRate: 0.02, latency: { baseMs: 2, jitterMs: 2, tailShare: 0, tailMs: 0 } },
  // Payments fails a few percent of requests and has a slow tail: the retry policy has work to do.
  { id: 'payments', service: 'payments', version: 'v1', zone: 'zone-b', calls: [], failureRate: 0.05, latency: { baseMs: 8, jitterMs: 10, tailShare: 0.03, tailMs: 250 } },
];

/**
 * The demo's traffic comes from here: a workload with a sidecar and no app (like users behind a meshed
 * ingress), so even the mesh's entrance is mutual TLS and every demo edge is locked.
 */
export const LOADGEN = { id: 'loadgen', service: 'loadgen', zone: 'zone-a' };

/**
 * The function-like service (serverless): not started with the rest; the control plane scales it to zero
 * after FUNCTION_IDLE without a request and up again (through `trellis up`'s scale hook, which starts and
 * stops its app and sidecar) when a request for it waits in a caller's proxy. The load generator calls it
 * every FUNCTION_CALL_EVERY_MS, so it can be seen waking and sleeping.
 */
export const FUNCTION: Workload = {
  id: 'thumbnails',
  service: 'thumbnails',
  version: 'v1',
  zone: 'zone-a',
  calls: [],
  failureRate: 0,
  latency: { baseMs: 20, jitterMs: 20, tailShare: 0, tailMs: 0 },
};
export const FUNCTION_IDLE = '30s';
export const FUNCTION_CALL_EVERY_MS = 60_000;

/** Every workload that gets a sidecar: the shop, the load generator, the function. */
export const DEMO_SERVICES = [...new Set([...SHOP.map((w) => w.service), LOADGEN.service, FUNCTION.service])];

const meta = (name: string) => ({ name, namespace: 'default' });
const api = 'trellis.dev/v1alpha1';
const target = (name: string) => ({ kind: 'Service', name });

/** Service declarations (routes the editors can target) and the demo policies every editor starts with. */
export const DEMO_RESOURCES = [
  {
    apiVersion: api,
    kind: 'Service',
    metadata: meta('reviews'),
    spec: { routes: [{ name: 'get-review', match: { path: { type: 'PathPrefix', value: '/reviews' }, method: 'GET' } }] },
  },
  {
    apiVersion: api,
    kind: 'Service',
    metadata: meta('catalog'),
    spec: { routes: [{ name: 'list-products', match: { path: { type: 'Exact', value: '/products' } } }] },
  },
  {
    apiVersion: api,
    kind: 'TrafficSplit',
    metadata: meta('reviews'),
    spec: {
      targetRef: target('reviews'),
      backends: [
        { name: 'v1', selector: { version: 'v1' }, weight: 90 },
        { name: 'v2', selector: { version: 'v2' }, weight: 10 },
      ],
    },
  },
  {
    apiVersion: api,
    kind: 'RetryPolicy',
    metadata: meta('payments-retry'),
    spec: { targetRef: target('payments'), attempts: 3, retryOn: ['5xx', 'connect-failure', 'reset'], perTryTimeout: '500ms' },
  },
  {
    apiVersion: api,
    kind: 'RateLimitPolicy',
    metadata: meta('catalog-rate-limit'),
    spec: { targetRef: target('catalog'), requestsPerSecond: 50, burst: 50 },
  },
  {
    apiVersion: api,
    kind: 'ScaleToZeroPolicy',
    metadata: meta('thumbnails-scale-to-zero'),
    // 30 s to start: its sidecar's cold start is 3-5 s on a quiet 2-core machine, 10-18 s on a busy one.
    spec: { targetRef: target(FUNCTION.service), idleTimeout: FUNCTION_IDLE, hold: { timeout: '30s', maxRequests: 100 } },
  },
];

/** Ports of workload number `index`: app, proxy inbound, outbound, admin, counted up from `base`. */
export function portsOf(base: number, index: number) {
  const first = base + index * 4;
  return { app: first, inbound: first + 1, outbound: first + 2, admin: first + 3 };
}
