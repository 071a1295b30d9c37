import type { Core, EdgeSingular } from 'cytoscape';
import { EDGE_TLS_LABEL, type EdgeTls } from '@/lib/security';
import { LockGlyph } from '../security/TlsLock';

/** One edge's lock, in model coordinates (the overlay moves with the graph's pan and zoom). */
export interface LockItem {
  id: string;
  x: number;
  y: number;
  tls: Exclude<EdgeTls, 'unknown'>;
}

/** The edge's label: in the middle, or near its target when the graph runs top to bottom (elements.ts). */
const MAIN_LABEL_ONLY = { includeNodes: false, includeEdges: false, includeLabels: true, includeMainLabels: true, includeSourceLabels: false, includeTargetLabels: true, includeOverlays: false };
/** Half the lock's width plus a gap: it sits just left of the label, like the label's first word. */
const BESIDE_LABEL = 11;

/**
 * Where each edge's lock goes: left of its label, or at its middle when it has none. Edges without
 * traffic get none (nothing to tell). `only`, on a big graph, limits the locks to the edges drawn with
 * labels, as the labels themselves are.
 */
export function lockPositions(cy: Core, only?: ReadonlySet<string>): LockItem[] {
  const items: LockItem[] = [];
  cy.edges().forEach((e: EdgeSingular) => {
    const tls = e.data('tls') as EdgeTls | undefined;
    if (!tls || tls === 'unknown' || (only && !only.has(e.id()))) return;
    const label = e.data('label') ? e.boundingBox(MAIN_LABEL_ONLY) : undefined;
    if (label && label.w > 0) {
      items.push({ id: e.id(), x: label.x1 - BESIDE_LABEL, y: (label.y1 + label.y2) / 2, tls });
    } else {
      const mid = e.midpoint();
      items.push({ id: e.id(), x: mid.x, y: mid.y, tls });
    }
  });
  return items;
}

/**
 * The locks on the graph's edges: a closed green padlock for mutual TLS, an open one in the warning
 * colour for plain HTTP. Each is named for assistive technology and hover ("mutual TLS"), and a click
 * opens the edge as a click on the edge does.
 */
export function EdgeLocks({ locks, onSelect }: { locks: readonly LockItem[]; onSelect: (edgeId: string) => void }) {
  return (
    <>
      {locks.map((l) => (
        <span
          key={l.id}
          className={`edge-lock tls-${l.tls}`}
          style={{ left: l.x, top: l.y }}
          role="img"
          aria-label={EDGE_TLS_LABEL[l.tls]}
          title={`${l.id.replace('->', ' → ')}: ${EDGE_TLS_LABEL[l.tls]}`}
          data-testid={`edge-lock-${l.id}`}
          data-tls={l.tls}
          onClick={() => onSelect(l.id)}
        >
          <LockGlyph open={l.tls !== 'mtls'} size={13} />
        </span>
      ))}
    </>
  );
}
