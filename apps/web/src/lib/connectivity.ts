import { useEffect, useSyncExternalStore } from 'react';

/**
 * Whether the control plane answers, as seen from this browser tab: requests that fail to reach it mark
 * it down; any answer (even an error answer) or a successful health probe marks it up again.
 */
export interface Connectivity {
  reachable: boolean;
  /** When it was last seen unreachable (ms), for "unreachable for 12 s". */
  since: number | null;
  /** The live (WebSocket) channel: subscriptions resume by themselves when it reopens. */
  live: 'connecting' | 'open' | 'closed';
}

let state: Connectivity = { reachable: true, since: null, live: 'connecting' };
const listeners = new Set<() => void>();

function set(next: Partial<Connectivity>): void {
  const merged = { ...state, ...next };
  if (merged.reachable === state.reachable && merged.since === state.since && merged.live === state.live) return;
  state = merged;
  for (const l of listeners) l();
}

export const connectivity = {
  get: () => state,
  subscribe: (listener: () => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  markDown: (): void => {
    if (state.reachable) set({ reachable: false, since: Date.now() });
  },
  markUp: (): void => {
    if (!state.reachable) set({ reachable: true, since: null });
  },
  setLive: (live: Connectivity['live']): void => {
    set({ live });
  },
};

export function useConnectivity(): Connectivity {
  return useSyncExternalStore(connectivity.subscribe, connectivity.get, connectivity.get);
}

/** A request error that never reached the server (refused, reset, DNS, CORS) rather than an error answer. */
export function isNetworkError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; data?: unknown; cause?: unknown; message?: string; meta?: unknown };
  if (e.name === 'TRPCClientError') return e.data === undefined || e.data === null ? !hasHttpStatus(e) : false;
  return e.name === 'TypeError' && /fetch|network/i.test(e.message ?? '');
}

function hasHttpStatus(e: { meta?: unknown }): boolean {
  const meta = e.meta as { response?: { status?: number } } | undefined;
  return typeof meta?.response?.status === 'number';
}

/**
 * A subscription that failed (the control plane went away mid-stream) starts again by itself: at once
 * when the live channel reopens, otherwise every few seconds.
 */
export function useResubscribe(status: string, reset: () => void): void {
  const { live } = useConnectivity();
  useEffect(() => {
    if (status !== 'error') return;
    const t = setTimeout(reset, live === 'open' ? 0 : 3000);
    return () => clearTimeout(t);
  }, [status, live, reset]);
}
