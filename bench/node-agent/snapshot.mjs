// The snapshot each workload of the node-agent bench runs under (shape: packages/shared/src/snapshot.ts):
// a STRICT inbound in front of the app, and one outbound service, the next workload, reached over mutual
// TLS at its inbound listener with its SPIFFE ID checked; a retry policy, spans at sampling 1.0.
import { createHash } from 'node:crypto';
import { retry } from '../proxy/lib/trellis-snapshot.mjs';

/** `service`'s snapshot; `calls` is {service, port, identity} of the workload it calls. */
export function workloadSnapshot({ service, calls, version = 1 }) {
  const body = {
    createdAt: new Date().toISOString(),
    service: { name: service, namespace: 'default' },
    inbound: { routes: [{ name: 'default', match: {}, policies: {} }], authorization: [], mtls: 'STRICT' },
    outbound: {
      services: [
        {
          name: calls.service,
          namespace: 'default',
          hostnames: [calls.service, `${calls.service}.default`],
          endpoints: [{ address: '127.0.0.1', port: calls.port, identity: calls.identity, zone: 'local', labels: {} }],
          routes: [{ name: 'default', match: {}, policies: { retry } }],
          loadBalancer: { algorithm: 'RoundRobin', localityAware: false },
        },
      ],
    },
    tracing: { sampling: 1 },
    mesh: {},
  };
  return { version, digest: createHash('sha256').update(JSON.stringify(body)).digest('hex'), ...body };
}
