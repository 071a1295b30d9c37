import { expect, test } from 'vitest';
import { WorkloadIdentity } from '../src/identity/workload-identity.ts';

// The control plane sends the trust bundle again after every reconnect of the stream. Taking the same
// bundle as a change made a new TLS context and moved the identity's generation on, so every upstream pool
// of the workload was replaced (new mTLS handshakes) and the old context stayed alive on open connections.

const root = (n: number) => `-----BEGIN CERTIFICATE-----\nroot-${n}\n-----END CERTIFICATE-----\n`;

test('the same trust bundle sent again changes nothing; a new version or new roots do', async () => {
  const identity = new WorkloadIdentity({ token: undefined, log: () => {} });
  let changes = 0;
  identity.on('changed', () => changes++);
  await identity.installBundle({ version: 1, roots: [root(1)] });
  expect(changes).toBe(1);
  const generation = identity.generation;

  await identity.installBundle({ version: 1, roots: [root(1)] });
  expect(changes).toBe(1);
  expect(identity.generation).toBe(generation);

  await identity.installBundle({ version: 2, roots: [root(1), root(2)] });
  expect(changes).toBe(2);
  expect(identity.trustBundleVersion).toBe(2);
  await identity.installBundle({ version: 2, roots: [root(2)] });
  expect(changes).toBe(3);
  expect(identity.trustedRoots()).toEqual([root(2)]);
});
