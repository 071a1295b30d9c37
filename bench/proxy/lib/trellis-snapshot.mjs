// The snapshot the Trellis proxy runs under in the bench (shape: packages/shared/src/snapshot.ts
// `snapshotSchema`). It turns on what a real mesh pays for: a path-matched route with a retry policy,
// full trace sampling, and (always on in the proxy) metrics. One hop: the outbound service "upstream"
// has the upstream app itself as its only endpoint.
import { createHash } from 'node:crypto';

export const UPSTREAM_SERVICE = 'upstream';

/** Builds the snapshot; `upstreamPort` is where the upstream app listens. */
export function benchSnapshot({ upstreamPort, version = 1 }) {
  const body = {
    createdAt: new Date().toISOString(),
    service: { name: 'bench', namespace: 'default' },
    inbound: {
      routes: [{ name: 'default', match: {}, policies: {} }],
      authorization: [],
    },
    outbound: {
      services: [
        {
          name: UPSTREAM_SERVICE,
          namespace: 'default',
          hostnames: [UPSTREAM_SERVICE, `${UPSTREAM_SERVICE}.default`, `${UPSTREAM_SERVICE}.default.svc.cluster.local`],
          endpoints: [{ address: '127.0.0.1', port: upstreamPort, zone: 'local', labels: { version: 'v1' } }],
          routes: [
            {
              name: 'bench',
              match: { path: { type: 'PathPrefix', value: '/' }, method: 'GET' },
              policies: {
                retry: {
                  attempts: 3,
                  retryOn: ['5xx', 'gateway-error', 'connect-failure', 'reset'],
                  perTryTimeoutMs: 2000,
                  backoffBaseMs: 25,
                  backoffMaxMs: 250,
                  budgetRatio: 0.2,
                  budgetMinPerSecond: 10,
                },
              },
            },
            { name: 'default', match: {}, policies: {} },
          ],
          loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
        },
      ],
    },
    tracing: { sampling: 1 },
    mesh: {},
  };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return { version, digest, ...body };
}
