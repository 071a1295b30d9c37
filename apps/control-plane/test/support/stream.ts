import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import type { Snapshot } from '@trellis/shared';
import { apiClient } from './control-plane.ts';

export interface TestProxy {
  client: StreamClient;
  /** Every snapshot applied, in order, with the time it arrived. */
  applied: { snapshot: Snapshot; at: number }[];
  /** Resolves with the next applied snapshot that satisfies `predicate`. */
  next(predicate?: (s: Snapshot) => boolean, timeoutMs?: number): Promise<{ snapshot: Snapshot; at: number }>;
  /**
   * Resolves with the first snapshot, whether it was applied already or comes later: next() waits for one
   * still to come, and a proxy's first snapshot may arrive while the test was busy with something else.
   */
  first(timeoutMs?: number): Promise<{ snapshot: Snapshot; at: number }>;
  /** Makes apply() refuse snapshots (the client NACKs them) while set. */
  refuse: string | undefined;
  cacheFile: string;
  /** Joins with another token from now on (a control plane with a fresh database knows none of the old ones). */
  useToken(token: string): void;
}

/** A join token for `service`, made through the API as an admin would (`trellis token create`). */
export async function joinToken(controlPlane: string, service: string, namespace = 'default'): Promise<string> {
  return (await apiClient(controlPlane).identity.joinTokens.create.mutate({ service, namespace })).token;
}

/**
 * A stream client as a proxy would run it, recording what it applies. It joins with a join token made
 * for its service (and no certificate: the data-plane side of identity is the proxy's own tests').
 */
export async function connectTestProxy(
  controlPlane: string,
  identity: { service: string; instance: string; labels?: Record<string, string>; endpoint?: { address: string; port: number } },
  cacheFile?: string,
): Promise<TestProxy> {
  const file = cacheFile ?? path.join(await mkdtemp(path.join(os.tmpdir(), 'trellis-proxy-')), 'snapshot.json');
  let credentials = tokenCredentials(await joinToken(controlPlane, identity.service));
  const applied: TestProxy['applied'] = [];
  const waiters: { predicate: (s: Snapshot) => boolean; resolve: (v: { snapshot: Snapshot; at: number }) => void }[] = [];
  const proxy: TestProxy = {
    applied,
    refuse: undefined,
    cacheFile: file,
    useToken: (token) => {
      credentials = tokenCredentials(token);
    },
    client: new StreamClient({
      controlPlane,
      identity: { ...identity, proxyVersion: 'test' },
      cacheFile: file,
      heartbeatMs: 1000,
      ...(process.env.TRELLIS_TEST_LOG ? { log: (line: string) => console.log(`[${identity.instance}] ${line}`) } : {}),
      // Read on every connect, so useToken() applies to the next one.
      credentials: {
        trustedRoots: () => credentials.trustedRoots(),
        clientCertificate: () => undefined,
        credential: () => credentials.credential(),
        certificateRequest: () => Promise.resolve(undefined),
        renewalRequest: () => credentials.renewalRequest(),
        installCertificate: (c, b) => credentials.installCertificate(c, b),
        installBundle: (b) => credentials.installBundle(b),
      },
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
    first: (timeoutMs = 5000) => (applied[0] ? Promise.resolve(applied[0]) : proxy.next(() => true, timeoutMs)),
  };
  await proxy.client.start();
  return proxy;
}

export const retryOf = (s: Snapshot, service: string) =>
  s.outbound.services.find((o) => o.name === service)?.routes.find((r) => r.name === 'default')?.policies.retry;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
