import type { Snapshot } from '@trellis/shared';

/** A valid snapshot for the frontend's proxy: reviews as its one upstream, with a retry policy. */
export function snapshot(version: number): Snapshot {
  return {
    version,
    digest: `digest-${version}`,
    createdAt: '2025-01-01T00:00:00.000Z',
    service: { name: 'frontend', namespace: 'default' },
    inbound: { routes: [{ name: 'default', match: {}, policies: {} }], authorization: [], mtls: 'STRICT' },
    outbound: {
      services: [
        {
          name: 'reviews',
          namespace: 'default',
          hostnames: ['reviews', 'reviews.default'],
          endpoints: [{ address: '10.0.0.11', port: 9080, labels: { version: 'v1' } }],
          routes: [
            {
              name: 'default',
              match: {},
              policies: {
                retry: {
                  attempts: 3,
                  retryOn: ['5xx'],
                  backoffBaseMs: 25,
                  backoffMaxMs: 250,
                  budgetRatio: 0.2,
                  budgetMinPerSecond: 10,
                },
              },
            },
          ],
          loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
        },
      ],
    },
    tracing: { sampling: 0.1 },
    mesh: {},
  };
}
