import { headers } from 'next/headers';
import { currentMe } from './server-session';

/**
 * The graph fetched by the dashboard server while it sends the page (with the browser's cookie, as the
 * browser itself would), handed to the page as a promise: the page's shell goes out at once and the graph
 * follows in the same response, so the browser draws it as soon as its scripts run instead of first
 * opening the live channel and asking. Null when the control plane is slow, unreachable or says no
 * (the page then fetches it itself, and shows the banner or the sign-in page if it must).
 *
 * Passed on as the control plane's JSON text, read by `graphFromText` in the browser: a big mesh's graph
 * is a megabyte, which parsed here would be walked again to serialize it for the page (about 100 ms of the
 * server's time per page at 500 services), where one string is copied as it is.
 */
export async function fetchGraph(server: string, input: { namespace?: string; windowSeconds: number }, timeoutMs = 3000): Promise<string | null> {
  try {
    // After the session check, not beside it: the page's first byte waits for that check (server-session.ts).
    if ((await currentMe()) === 'signed-out') return null;
    const cookie = (await headers()).get('cookie') ?? '';
    // Per-route figures are for the side panel, which fetches them for its edge; without them a big mesh's
    // graph is about half the size.
    const url = `${server.replace(/\/+$/, '')}/trpc/graph.get?input=${encodeURIComponent(JSON.stringify({ ...input, routes: false }))}`;
    const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' });
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}
