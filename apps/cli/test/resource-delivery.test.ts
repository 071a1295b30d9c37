import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import type { Snapshot } from '@trellis/shared';
import { retryPolicyYaml } from './support/manifests.ts';
import { controlPlaneForSuite, trellis } from './support/run.ts';
import { joinToken } from './support/mesh.ts';

// How fast a change made with the CLI reaches a proxy: a "within 1 s" figure, so this file runs alone
// (vitest.config.ts, ALONE); the other resource commands are in resource-commands.test.ts.

describe('a resource applied with the CLI', () => {
  const cp = controlPlaneForSuite();
  const { server } = cp;

  it('reaches a connected proxy within 1 s', async () => {
    const received: { snapshot: Snapshot; at: number }[] = [];
    const client = new StreamClient({
      controlPlane: cp.url,
      identity: { service: 'checkout', instance: 'checkout-1', proxyVersion: 'test' },
      apply: (snapshot) => void received.push({ snapshot, at: performance.now() }),
      credentials: tokenCredentials(await joinToken(cp.url, 'checkout')),
    });
    await client.start();
    try {
      while (received.length === 0) await new Promise((r) => setTimeout(r, 20));
      const file = path.join(cp.dir, 'retry.yaml');
      await writeFile(file, retryPolicyYaml(7, 'cli-speed'));
      const before = performance.now();
      const r = await trellis(['apply', '-f', file, ...server()]);
      expect(r.stdout).toContain('retrypolicy/cli-speed created');
      const applied = performance.now();
      const has7 = (s: Snapshot) =>
        s.outbound.services.find((o) => o.name === 'payments')?.routes.some((route) => route.policies.retry?.attempts === 7);
      let got: { at: number } | undefined;
      for (let i = 0; i < 100 && !got; i++) {
        got = received.find((e) => has7(e.snapshot));
        if (!got) await new Promise((res) => setTimeout(res, 10));
      }
      expect(got).toBeDefined();
      // From the moment the CLI finished the write to the proxy holding it.
      expect((got?.at ?? Infinity) - applied).toBeLessThan(1000);
      expect(applied - before).toBeLessThan(5000);
    } finally {
      await client.close();
    }
  });

});
