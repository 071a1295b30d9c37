import { createTRPCClient, httpLink } from '@trpc/client';
import { startControlPlane, type AppRouter, type ControlPlane, type ControlPlaneOptions } from '../../src/index.ts';

/** The in-memory admin token test control planes start with (as `trellis up` gives its own). */
export const TEST_BOOTSTRAP_TOKEN = 'trt_test-bootstrap-token-0123456789';

/** A real control plane on a free port, with a tRPC client on it (authenticated as the bootstrap admin). */
export async function startTestControlPlane(options: Omit<ControlPlaneOptions, 'port'> & { port?: number }) {
  const cp: ControlPlane = await startControlPlane({ port: 0, endpointGraceMs: 300, bootstrapToken: TEST_BOOTSTRAP_TOKEN, onFirstRun: null, ...options });
  return { cp, client: apiClient(cp.url) };
}

/** A tRPC client sending `token` as its bearer credential (none: anonymous). */
export function apiClient(url: string, token: string | null = TEST_BOOTSTRAP_TOKEN) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, headers: token ? { authorization: `Bearer ${token}` } : {} })] });
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
