'use client';

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { AppRouter } from '@trellis/control-plane/router';
import { connectivity, isNetworkError, useConnectivity } from '@/lib/connectivity';
import { TRPCProvider } from '@/lib/trpc';

export interface DashboardConfig {
  /** The control plane's base URL, as the dashboard server was told at request time. */
  server: string;
  /** Default author of revisions; the user can set their own name (kept in localStorage). */
  defaultUser: string;
}

const ConfigContext = createContext<DashboardConfig>({ server: 'http://127.0.0.1:7400', defaultUser: 'dashboard' });
export const useDashboardConfig = () => useContext(ConfigContext);

const USER_KEY = 'trellis.user';

export function currentUser(fallback: string): string {
  if (typeof window === 'undefined') return fallback;
  try {
    return window.localStorage.getItem(USER_KEY) || fallback;
  } catch {
    return fallback;
  }
}

export function setCurrentUser(name: string): void {
  try {
    if (name.trim()) window.localStorage.setItem(USER_KEY, name.trim());
    else window.localStorage.removeItem(USER_KEY);
  } catch {
    // Private mode: the name lasts for this page only.
  }
}

function makeClients(config: DashboardConfig) {
  const base = config.server.replace(/\/+$/, '');
  const wsUrl = `${base.replace(/^http/, 'ws')}/trpc`;
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 1000,
        refetchOnWindowFocus: false,
        // Network failures are the banner's business; retry quietly, answers with an error once.
        retry: (count, error) => isNetworkError(error) && count < 2,
        retryDelay: (n) => Math.min(4000, 500 * 2 ** n),
      },
    },
    queryCache: new QueryCache({
      onError: (error) => (isNetworkError(error) ? connectivity.markDown() : connectivity.markUp()),
      onSuccess: () => connectivity.markUp(),
    }),
    mutationCache: new MutationCache({
      onError: (error) => (isNetworkError(error) ? connectivity.markDown() : connectivity.markUp()),
      onSuccess: () => connectivity.markUp(),
    }),
  });
  const wsClient =
    typeof window === 'undefined'
      ? undefined
      : createWSClient({
          url: wsUrl,
          connectionParams: () => ({ user: currentUser(config.defaultUser) }),
          retryDelayMs: (attempt) => Math.min(5000, 500 * 2 ** attempt),
          onOpen: () => {
            connectivity.setLive('open');
            connectivity.markUp();
          },
          onClose: () => connectivity.setLive('closed'),
        });
  const trpcClient = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsClient ? wsLink({ client: wsClient }) : httpBatchLink({ url: `${base}/trpc` }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          maxURLLength: 4000,
          headers: () => ({ 'x-trellis-user': currentUser(config.defaultUser) }),
        }),
      }),
    ],
  });
  return { queryClient, trpcClient, wsClient, base };
}

/** While the control plane is unreachable, probes it every 2 s; when it answers, refetches everything. */
function RecoveryProbe({ base, queryClient }: { base: string; queryClient: QueryClient }) {
  const { reachable, live } = useConnectivity();
  useEffect(() => {
    if (reachable && live !== 'closed') return;
    let stopped = false;
    const probe = async () => {
      try {
        const res = await fetch(`${base}/healthz`, { cache: 'no-store' });
        if (!stopped && res.ok) {
          const wasDown = !connectivity.get().reachable;
          connectivity.markUp();
          if (wasDown) void queryClient.invalidateQueries();
        }
      } catch {
        if (!stopped) connectivity.markDown();
      }
    };
    void probe();
    const timer = setInterval(() => void probe(), 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [reachable, live, base, queryClient]);
  return null;
}

export function Providers({ config, children }: { config: DashboardConfig; children: ReactNode }) {
  const [clients] = useState(() => makeClients(config));
  return (
    <ConfigContext.Provider value={config}>
      <QueryClientProvider client={clients.queryClient}>
        <TRPCProvider trpcClient={clients.trpcClient} queryClient={clients.queryClient}>
          <RecoveryProbe base={clients.base} queryClient={clients.queryClient} />
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </ConfigContext.Provider>
  );
}
