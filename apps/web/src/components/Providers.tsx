'use client';

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { AppRouter } from '@trellis/control-plane/router';
import { connectivity, isNetworkError, useConnectivity } from '@/lib/connectivity';
import { apiError } from '@/lib/errors';
import { csrfToken, goToSignIn, type Me } from '@/lib/session';
import { TRPCProvider } from '@/lib/trpc';

export interface DashboardConfig {
  /** The control plane's base URL, as the dashboard server was told at request time (shown, not called: the browser calls /trpc here). */
  server: string;
  /** Who is signed in (null when the control plane could not be asked). */
  me: Me | null;
}

const ConfigContext = createContext<DashboardConfig>({ server: 'http://127.0.0.1:7400', me: null });
export const useDashboardConfig = () => useContext(ConfigContext);
/** The signed-in person (or null if unknown): role, namespaces, permissions. */
export const useMe = () => useContext(ConfigContext).me;

/** An answer saying the session is gone (expired, revoked, signed out elsewhere): sign in, then come back. */
function onApiError(error: unknown): void {
  if (isNetworkError(error)) {
    connectivity.markDown();
    return;
  }
  connectivity.markUp();
  if (apiError(error).code === 'UNAUTHORIZED') goToSignIn();
}

function makeClients() {
  // The API is served by the dashboard itself (app/trpc), so the browser's cookie goes with every call.
  const base = typeof window === 'undefined' ? 'http://127.0.0.1' : window.location.origin;
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
    queryCache: new QueryCache({ onError: onApiError, onSuccess: () => connectivity.markUp() }),
    mutationCache: new MutationCache({ onError: onApiError, onSuccess: () => connectivity.markUp() }),
  });
  const trpcClient = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // Live updates as server-sent events through the dashboard: same origin, same cookie.
        true: httpSubscriptionLink({ url: `${base}/trpc` }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          maxURLLength: 4000,
          // Changes carry the session's CSRF token, which a page of another site cannot read.
          headers: () => ({ 'x-trellis-csrf': csrfToken() }),
        }),
      }),
    ],
  });
  return { queryClient, trpcClient };
}

/** While the control plane is unreachable, probes it every 2 s; when it answers, refetches everything. */
function RecoveryProbe({ queryClient }: { queryClient: QueryClient }) {
  const { reachable, live } = useConnectivity();
  useEffect(() => {
    if (reachable && live !== 'closed') return;
    let stopped = false;
    const probe = async () => {
      try {
        const res = await fetch('/healthz', { cache: 'no-store' });
        if (!stopped && res.ok) {
          const wasDown = !connectivity.get().reachable;
          connectivity.markUp();
          if (wasDown) void queryClient.invalidateQueries();
        } else if (!stopped) {
          connectivity.markDown();
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
  }, [reachable, live, queryClient]);
  return null;
}

export function Providers({ config, children }: { config: DashboardConfig; children: ReactNode }) {
  const [clients] = useState(makeClients);
  return (
    <ConfigContext.Provider value={config}>
      <QueryClientProvider client={clients.queryClient}>
        <TRPCProvider trpcClient={clients.trpcClient} queryClient={clients.queryClient}>
          <RecoveryProbe queryClient={clients.queryClient} />
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </ConfigContext.Provider>
  );
}
