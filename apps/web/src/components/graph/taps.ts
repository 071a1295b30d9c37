import type { Core, EventObject, NodeSingular } from 'cytoscape';
import { boxOf, type Selection } from '@/lib/graph-view';

/** Whether `el` is a service (or a folded namespace): what a click selects or unfolds at once. */
const isService = (el: EventObject['target'], cy: Core) => el !== cy && el.isNode() && boxOf(el.id() as string) === null;

/**
 * The unfolded namespace a tap was inside of: its box, or a line or empty space within the box's
 * border. Lines are drawn (and hit) above the boxes, and a big mesh's lines cross every box many times
 * over: at 500 services about two thirds of a box's area is some line's.
 */
function boxUnder(cy: Core, e: EventObject): string | null {
  const target = e.target as EventObject['target'];
  if (target !== cy && target.isNode()) return boxOf(target.id() as string) === null ? null : (target.id() as string);
  const { x, y } = e.position;
  const box = cy.nodes('[?box]').filter((b: NodeSingular) => {
    const bb = b.boundingBox({ includeLabels: false, includeOverlays: false, includeUnderlays: false });
    return x >= bb.x1 && x <= bb.x2 && y >= bb.y1 && y <= bb.y2;
  });
  return box.nonempty() ? (box.first().id() as string) : null;
}

/**
 * What clicks do on the canvas. A click on a service selects it (on a folded namespace, unfolds it) at
 * once. A click on a line or the background selects the line (or clears the selection) only once no second
 * click follows: a double click inside a namespace's box folds it, and a panel opening or closing between
 * the two clicks would move the drawing under the pointer.
 */
export function bindTaps(cy: Core, handlers: { onSelect: (s: Selection) => void; onFold: (namespace: string) => void }): void {
  /** The box under each of the last two taps (cytoscape emits dbltap after the second tap). */
  let boxes: [string | null, string | null] = [null, null];
  cy.on('tap', (e: EventObject) => {
    boxes = [boxes[1], boxUnder(cy, e)];
    if (isService(e.target, cy)) handlers.onSelect({ type: 'node', id: e.target.id() as string });
  });
  cy.on('onetap', (e: EventObject) => {
    if (isService(e.target, cy)) return;
    handlers.onSelect(e.target !== cy && e.target.isEdge() ? { type: 'edge', id: e.target.id() as string } : null);
  });
  cy.on('dbltap', (e: EventObject) => {
    // Both clicks in the same box: not a folded namespace that the first click unfolded under the pointer.
    const [first, second] = boxes;
    const ns = first !== null && first === second ? boxOf(first) : null;
    if (ns !== null) return handlers.onFold(ns);
    // A double click on a line outside any box is still a click on it.
    if (e.target !== cy && e.target.isEdge()) handlers.onSelect({ type: 'edge', id: e.target.id() as string });
  });
}
