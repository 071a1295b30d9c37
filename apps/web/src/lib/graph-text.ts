import type { ServiceGraph } from './trpc';

/** The graph in a graph.get answer's JSON text (see server-graph.ts); null if there is none. */
export function graphFromText(text: string | null): ServiceGraph | null {
  if (!text) return null;
  try {
    return (JSON.parse(text) as { result?: { data?: ServiceGraph } }).result?.data ?? null;
  } catch {
    return null;
  }
}
