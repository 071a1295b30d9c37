// The synthetic mesh's traffic, reported as sidecars report it: one stand-in proxy per service that
// counts edges (the caller; the destination for traffic from outside the mesh), each joined with its own
// token and sending its edges' second of traffic over the real stream once a second.
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { joinTokens } from '../lib/join-tokens.ts';
import { edgeSecond, prng, type MeshEdge } from './mesh.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects the reporting proxies and starts their reports; `stop()` ends the reports and closes them. */
export async function reportMeshTraffic(
  url: string,
  mesh: { names: string[]; edges: MeshEdge[] },
  namespaceOf: (i: number) => string,
  bootstrapToken: string,
): Promise<{ proxies: number; stop(): Promise<void> }> {
  const random = prng(7);
  const bySource = new Map<string, MeshEdge[]>();
  for (const e of mesh.edges) {
    const reporter = e.source === 'external' ? e.destination : e.source;
    bySource.set(reporter, [...(bySource.get(reporter) ?? []), e]);
  }
  const nsOf = new Map(mesh.names.map((name, i) => [name, namespaceOf(i)]));
  const serviceOf = (id: string) => id.split('.')[0] ?? id;
  const tokens = await joinTokens(url, [...bySource.keys()].map(serviceOf), bootstrapToken, (service) => nsOf.get(service) ?? 'default');
  const reporters: { client: StreamClient; edges: MeshEdge[] }[] = [];
  const closeAll = async () => {
    await Promise.all(reporters.map((r) => r.client.close()));
  };
  try {
    for (const [source, edges] of bySource) {
      const service = serviceOf(source);
      const client = new StreamClient({
        controlPlane: url,
        identity: { service, namespace: nsOf.get(service) ?? 'default', instance: `bench-${service}`, proxyVersion: 'bench' },
        apply: () => undefined,
        credentials: tokenCredentials(tokens.get(service) ?? ''),
      });
      reporters.push({ client, edges });
      await client.start();
    }
    while (reporters.some((r) => r.client.state !== 'connected')) await sleep(50);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const report = () => {
    const at = Date.now();
    for (const { client, edges } of reporters) client.send({ type: 'metrics', report: { at, intervalMs: 1000, edges: edges.map((e) => edgeSecond(e, random)) } });
  };
  report();
  const timer = setInterval(report, 1000);
  return {
    proxies: reporters.length,
    stop: async () => {
      clearInterval(timer);
      await closeAll();
    },
  };
}
