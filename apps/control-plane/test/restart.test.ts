import { describe, expect, it } from 'vitest';
import { DATABASES } from './support/databases.ts';
import { retryPolicy, startTestControlPlane } from './support/control-plane.ts';

describe.each(DATABASES)('durability on %s', (_name, create) => {
  it('keeps resources and their history across a control-plane restart', async () => {
    const db = await create();
    try {
      const first = await startTestControlPlane(db.options);
      await first.client.resources.upsert.mutate({ resource: retryPolicy('payments', 2) });
      await first.client.resources.upsert.mutate({ resource: retryPolicy('payments', 4) });
      await first.cp.close();

      const second = await startTestControlPlane(db.options);
      try {
        const got = await second.client.resources.get.query({ kind: 'RetryPolicy', name: 'payments-retry' });
        expect(got.spec).toMatchObject({ attempts: 4 });
        expect(got.metadata.resourceVersion).toBe('2');
        expect(await second.client.resources.history.query({ kind: 'RetryPolicy', name: 'payments-retry' })).toHaveLength(2);
      } finally {
        await second.cp.close();
      }
    } finally {
      await db.cleanup();
    }
  });
});
