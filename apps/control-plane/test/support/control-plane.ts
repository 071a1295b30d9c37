import { createTRPCClient, httpLink } from '@trpc/client';
import { startControlPlane, type AppRouter, type ControlPlane, type ControlPlaneOptions } from '../../src/index.ts';

/** A real control plane on a free port, with a tRPC client on it. */
export async function startTestControlPlane(options: Omit<ControlPlaneOptions, 'port'> & { port?: number }) {
  const cp: ControlPlane = await startControlPlane({ port: 0, endpointGraceMs: 300, ...options });
  return { cp, client: apiClient(cp.url) };
}

export function apiClient(url: string, user = 'test-user') {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, headers: { 'x-trellis-user': user } })] });
}

/** A valid RetryPolicy for `service`, with the given attempts. */
export function retryPolicy(service: string, attempts = 3, name = `${service}-retry`) {
  return {
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'RetryPolicy',
    metadata: { name, namespace: 'default' },
    spec: { targetRef: { kind: 'Service', name: service }, attempts, perTryTimeout: '500ms' },
  };
}
