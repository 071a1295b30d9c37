// The snapshots the Trellis proxies run under in the bench (shape: packages/shared/src/snapshot.ts
// `snapshotSchema`). They turn on what a real mesh pays for: a path-matched route with a retry policy,
// full trace sampling, and (always on in the proxy) metrics.
// - One hop: the caller's outbound service "upstream" has the upstream app itself as its only endpoint.
// - Two hops: the caller's endpoint is the callee sidecar's inbound listener, which forwards to the app;
//   with mTLS the endpoint carries the callee's SPIFFE ID (the caller connects with mutual TLS and checks
//   it) and the callee's inbound is STRICT; plain, the endpoint has no identity and the inbound is DISABLE.
import { createHash } from 'node:crypto';

export const UPSTREAM_SERVICE = 'upstream';
/** The service of the proxy the load is sent to (the caller). */
export const CALLER_SERVICE = 'bench';

function finish(body, version) {
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return { version, digest, ...body };
}

/** The retry policy every bench route runs under (bench/node-agent uses it too). */
export const retry = {
  attempts: 3,
  retryOn: ['5xx', 'gateway-error', 'connect-failure', 'reset'],
  perTryTimeoutMs: 2000,
  backoffBaseMs: 25,
  backoffMaxMs: 250,
  budgetRatio: 0.2,
  budgetMinPerSecond: 10,
};

/**
 * The caller's snapshot: Host `upstream` routed to `endpoint` ({address, port}, plus `identity` for
 * mTLS). Its own inbound (unused by the load) is DISABLE.
 */
export function callerSnapshot({ endpoint, version = 1 }) {
  return finish(
    {
      createdAt: new Date().toISOString(),
      service: { name: CALLER_SERVICE, namespace: 'default' },
      inbound: { routes: [{ name: 'default', match: {}, policies: {} }], authorization: [], mtls: 'DISABLE' },
      outbound: {
        services: [
          {
            name: UPSTREAM_SERVICE,
            namespace: 'default',
            hostnames: [UPSTREAM_SERVICE, `${UPSTREAM_SERVICE}.default`, `${UPSTREAM_SERVICE}.default.svc.cluster.local`],
            endpoints: [{ zone: 'local', labels: { version: 'v1' }, ...endpoint }],
            routes: [
              { name: 'bench', match: { path: { type: 'PathPrefix', value: '/' }, method: 'GET' }, policies: { retry } },
              { name: 'default', match: {}, policies: {} },
            ],
            loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
          },
        ],
      },
      tracing: { sampling: 1 },
      mesh: {},
    },
    version,
  );
}

/** The callee's snapshot: its inbound in `mtls` mode (STRICT or DISABLE) in front of the app; it calls no one. */
export function calleeSnapshot({ mtls, version = 1 }) {
  return finish(
    {
      createdAt: new Date().toISOString(),
      service: { name: UPSTREAM_SERVICE, namespace: 'default' },
      inbound: { routes: [{ name: 'default', match: {}, policies: {} }], authorization: [], mtls },
      outbound: { services: [] },
      tracing: { sampling: 1 },
      mesh: {},
    },
    version,
  );
}

/** One hop: the caller's endpoint is the upstream app at `upstreamPort` (also bench/proxy-regex's snapshot). */
export function benchSnapshot({ upstreamPort, version = 1 }) {
  return callerSnapshot({ endpoint: { address: '127.0.0.1', port: upstreamPort }, version });
}
