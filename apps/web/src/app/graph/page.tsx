import type { Metadata } from 'next';
import { Suspense } from 'react';
import { GraphPage } from '@/components/graph/GraphPage';
import { Loading } from '@/components/ui';
import { serverEnv } from '@/env';
import { fetchGraph } from '@/lib/server-graph';

export const metadata: Metadata = { title: 'Service graph' };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const namespace = one(sp.ns) || undefined;
  const windowSeconds = Number(one(sp.window) ?? 10) || 10;
  // Not awaited: the page streams now, the graph follows in the same response.
  const initialGraph = fetchGraph(serverEnv().TRELLIS_SERVER, namespace ? { namespace, windowSeconds } : { windowSeconds });
  return (
    <Suspense fallback={<Loading />}>
      <GraphPage initialGraph={initialGraph} />
    </Suspense>
  );
}
