'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC, type ServiceGraph } from './trpc';

/**
 * The service graph, pushed about once a second over the WebSocket (graph.live); while the live channel
 * is down it falls back to polling graph.get, so the page keeps moving either way.
 */
export function useLiveGraph(namespace: string | undefined, windowSeconds = 10) {
  const trpc = useTRPC();
  const input = namespace ? { namespace, windowSeconds } : { windowSeconds };
  const sub = useSubscription(trpc.graph.live.subscriptionOptions(input));
  const live = sub.status === 'pending' && sub.data !== undefined;
  const query = useQuery(trpc.graph.get.queryOptions(input, { refetchInterval: live ? false : 2000 }));
  const candidates = [sub.data, query.data].filter((g): g is ServiceGraph => !!g && g.windowSeconds === windowSeconds);
  const graph = candidates.sort((a, b) => b.generatedAt.localeCompare(a.generatedAt))[0];
  return { graph, live, error: graph ? null : (query.error ?? sub.error), isLoading: !graph && query.isLoading, refetch: () => void query.refetch() };
}
