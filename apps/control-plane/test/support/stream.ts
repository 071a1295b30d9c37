import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StreamClient } from '@trellis/stream-client';
import type { Snapshot } from '@trellis/shared';

export interface TestProxy {
  client: StreamClient;
  /** Every snapshot applied, in order, with the time it arrived. */
  applied: { snapshot: Snapshot; at: number }[];
  /** Resolves with the next applied snapshot that satisfies `predicate`. */
  next(predicate?: (s: Snapshot) => boolean, timeoutMs?: number): Promise<{ snapshot: Snapshot; at: number }>;
  /** Makes apply() refuse snapshots (the client NACKs them) while set. */
  refuse: string | undefined;
  cacheFile: string;
}

/** A stream client as a proxy would run it, recording what it applies. */
export async function connectTestProxy(
  controlPlane: string,
  identity: { service: string; instance: string; labels?: Record<string, string>; endpoint?: { address: string; port: number } },
  cacheFile?: string,
): Promise<TestProxy> {
  const file = cacheFile ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'trellis-proxy-')), 'snapshot.json');
  const applied: TestProxy['applied'] = [];
  const waiters: { predicate: (s: Snapshot) => boolean; resolve: (v: { snapshot: Snapshot; at: number }) => void }[] = [];
  const proxy: TestProxy = {
    applied,
    refuse: undefined,
    cacheFile: file,
    client: new StreamClient({
      controlPlane,
      identity: { ...identity, proxyVersion: 'test' },
      cacheFile: file,
      heartbeatMs: 1000,
      apply: (snapshot) => {
        if (proxy.refuse) throw new Error(proxy.refuse);
        const entry = { snapshot, at: performance.now() };
        applied.push(entry);
        for (const w of [...waiters]) {
          if (w.predicate(snapshot)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(entry);
          }
        }
      },
    }),
    next: (predicate = () => true, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching snapshot within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ predicate, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      }),
  };
  await proxy.client.start();
  return proxy;
}

export const retryOf = (s: Snapshot, service: string) =>
  s.outbound.services.find((o) => o.name === service)?.routes.find((r) => r.name === 'default')?.policies.retry;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
