'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useSubscription } from '@trpc/tanstack-react-query';
import { applyLiveGraphMessage } from '@trellis/shared';
import { useLiveStatus } from './connectivity';
import { graphFromText } from './graph-text';
import { useTRPC, type ServiceGraph } from './trpc';

/**
 * The service graph, pushed about once a second as server-sent events (graph.live): the whole graph first,
 * then only what changed (at the precision the page shows), applied here to the graph held; a delta that
 * does not follow it restarts the subscription, which starts with the whole graph again. While the live
 * channel is down it falls back to polling graph.get, so the page keeps moving either way.
 */
export function useLiveGraph(namespace: string | undefined, windowSeconds = 10, initial?: Promise<string | null>) {
  const trpc = useTRPC();
  // Per-route figures are fetched by the edge panel for the one edge it shows.
  const input = namespace ? { namespace, windowSeconds, routes: false } : { windowSeconds, routes: false };
  // The graph the dashboard server fetched while sending the page (see server-graph.ts), until live data is newer.
  const [seed, setSeed] = useState<ServiceGraph | null>(null);
  const [seedSettled, setSeedSettled] = useState(!initial);
  useEffect(() => {
    let current = true;
    // What arrives from the server is a thenable whose then() returns nothing: wrap it.
    if (initial)
      Promise.resolve(initial)
        .then((text) => current && setSeed(graphFromText(text)))
        .catch(() => undefined)
        .finally(() => current && setSeedSettled(true));
    return () => {
      current = false;
    };
  }, [initial]);
  // The live channel opens once the server's graph is in: its first message is a whole graph too, which
  // the control plane would build, and the page parse, while the first one is still on its way.
  const held = useRef<ReturnType<typeof applyLiveGraphMessage>>(null);
  const [liveGraph, setLiveGraph] = useState<ServiceGraph | undefined>(undefined);
  const sub = useSubscription(
    trpc.graph.live.subscriptionOptions(input, {
      enabled: seedSettled,
      onData: (msg) => {
        held.current = applyLiveGraphMessage(held.current, msg);
        if (held.current) setLiveGraph(held.current.graph);
        // A gap: ask for the whole graph again (a new subscription starts with it).
        else sub.reset();
      },
    }),
  );
  useEffect(() => {
    held.current = null;
    setLiveGraph(undefined);
  }, [namespace, windowSeconds]);
  const live = sub.status === 'pending' && liveGraph !== undefined;
  useLiveStatus(sub);
  // Ask over HTTP only when the live channel is not delivering: on a big mesh every graph is megabytes
  // for the control plane to build and the browser to parse, so one channel at a time.
  const [waited, setWaited] = useState(false);
  useEffect(() => {
    setWaited(false);
    if (!seedSettled) return;
    const t = setTimeout(() => setWaited(true), 2500);
    return () => clearTimeout(t);
  }, [namespace, windowSeconds, seedSettled]);
  // Idle before the channel first starts is not a channel that ended (that would fetch a second graph at once).
  const [started, setStarted] = useState(false);
  useEffect(() => {
    if (sub.status !== 'idle') setStarted(true);
  }, [sub.status]);
  const fallback = seedSettled && !live && (waited || sub.status === 'error' || (started && sub.status === 'idle'));
  const query = useQuery(trpc.graph.get.queryOptions(input, { enabled: fallback, refetchInterval: fallback ? 2000 : false }));
  const seedMatches = seed && (seed.nodes.every((n) => !namespace || n.external || n.namespace === namespace) ? seed : null);
  const candidates = [liveGraph, query.data, seedMatches ?? undefined].filter((g): g is ServiceGraph => !!g && g.windowSeconds === windowSeconds);
  const graph = candidates.sort((a, b) => b.generatedAt.localeCompare(a.generatedAt))[0];
  return { graph, live, error: graph ? null : (query.error ?? sub.error), isLoading: !graph && !(query.error ?? sub.error), refetch: () => void query.refetch() };
}
