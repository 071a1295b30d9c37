import { useEffect, useSyncExternalStore } from 'react';
import { apiError } from './errors';
import { goToSignIn } from './session';

/**
 * Whether the control plane answers, as seen from this browser tab: requests that fail to reach it mark
 * it down; any answer (even an error answer) or a successful health probe marks it up again.
 */
export interface Connectivity {
  reachable: boolean;
  /** When it was last seen unreachable (ms), for "unreachable for 12 s". */
  since: number | null;
  /** The live updates of the page (server-sent events), if it has any: they resume by themselves. */
  live: 'idle' | 'connecting' | 'open' | 'closed';
}

const INITIAL: Connectivity = { reachable: true, since: null, live: 'idle' };
let state: Connectivity = INITIAL;
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

/**
 * Hydration reads INITIAL, what the server drew: a live page (canary, graph) may have reported its
 * subscription "connecting" before the navigation hydrated, and reading that state there was React
 * error #418 (the nav's "Live" against "Connecting…"). React re-renders with the real state right after.
 */
export function useConnectivity(): Connectivity {
  return useSyncExternalStore(connectivity.subscribe, connectivity.get, () => INITIAL);
}

/** A request error that never reached the server (refused, reset, DNS) rather than an error answer; a 502 from the dashboard's proxy counts too. */
export function isNetworkError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: string; data?: { httpStatus?: number } | null; cause?: unknown; message?: string; meta?: unknown };
  if (e.name === 'TRPCClientError') {
    if (hasHttpStatus(e, 502)) return true;
    return e.data === undefined || e.data === null ? !hasHttpStatus(e) : false;
  }
  return e.name === 'TypeError' && /fetch|network/i.test(e.message ?? '');
}

function hasHttpStatus(e: { meta?: unknown }, status?: number): boolean {
  const meta = e.meta as { response?: { status?: number } } | undefined;
  const got = meta?.response?.status;
  return typeof got === 'number' && (status === undefined || got === status);
}

/**
 * Reports a page's live subscription to the connection indicator, and starts a failed one again by
 * itself after a few seconds (the control plane went away mid-stream); a session that ended goes to sign-in.
 */
export function useLiveStatus({ status, reset, error }: { status: string; reset: () => void; error: unknown }): void {
  useEffect(() => {
    if (status === 'error' && apiError(error).code === 'UNAUTHORIZED') goToSignIn();
  }, [status, error]);
  useEffect(() => {
    connectivity.setLive(status === 'pending' ? 'open' : status === 'connecting' ? 'connecting' : status === 'error' ? 'closed' : 'idle');
  }, [status]);
  useEffect(() => () => connectivity.setLive('idle'), []);
  useEffect(() => {
    if (status !== 'error') return;
    const t = setTimeout(reset, 3000);
    return () => clearTimeout(t);
  }, [status, reset]);
}
