import { headers } from 'next/headers';
import type { ServiceGraph } from './trpc';

/**
 * The graph fetched by the dashboard server while it sends the page (with the browser's cookie, as the
 * browser itself would), handed to the page as a promise: the HTML goes out at once and the graph
 * follows in the same response, so the browser draws it as soon as its scripts run instead of first
 * opening the live channel and asking. Null when the control plane is slow, unreachable or says no
 * (the page then fetches it itself, and shows the banner or the sign-in page if it must).
 */
export async function fetchGraph(server: string, input: { namespace?: string; windowSeconds: number }, timeoutMs = 3000): Promise<ServiceGraph | null> {
  try {
    const cookie = (await headers()).get('cookie') ?? '';
    const url = `${server.replace(/\/+$/, '')}/trpc/graph.get?input=${encodeURIComponent(JSON.stringify({ ...input, routes: false }))}`;
    const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' });
    if (!res.ok) return null;
    const body = (await res.json()) as { result?: { data?: ServiceGraph } };
    const graph = body.result?.data;
    // Per-route figures are for the side panel, which the next live update fills; leaving them out
    // halves what a big mesh's first page carries.
    return graph ? { ...graph, edges: graph.edges.map((e) => ({ ...e, routes: [] })) } : null;
  } catch {
    return null;
  }
}
