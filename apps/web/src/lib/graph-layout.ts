/**
 * A layered left-to-right layout (callers left, callees right; top to bottom on a narrow canvas), computed once per view and then kept:
 * live updates never move a node. Linear in nodes + edges, so 500 services and 2,000 edges lay out in
 * milliseconds (force layouts take seconds there and never settle the same way twice).
 */
export interface Point {
  x: number;
  y: number;
}

export interface LayoutOptions {
  columnGap: number;
  rowGap: number;
  /** A layer taller than this is folded into several side-by-side columns. */
  maxPerColumn: number;
  /**
   * Each node's group (its namespace): the groups are laid out as bands one under another, each with
   * every layer's members of that group, so a box drawn around a group covers no other group's nodes.
   * Nodes without one form a band of their own, first.
   */
  groupOf?: ReadonlyMap<string, string>;
  /**
   * "right" (the default): callers left of callees, for wide canvases. "down": callers above callees, for
   * a narrow, tall canvas (a phone), where a row of columns would be several screens wide. Then
   * `columnGap` is the distance from one layer (row) to the next, and `rowGap` the distance between the
   * services of a layer, side by side; services without traffic sit in rows under the graph.
   */
  direction?: 'right' | 'down';
}

export function layeredLayout(nodeIds: readonly string[], edges: readonly { source: string; destination: string }[], options: LayoutOptions): Map<string, Point> {
  const ids = [...nodeIds].sort(byEntry);
  const known = new Set(ids);
  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  for (const id of ids) {
    out.set(id, []);
    into.set(id, []);
  }
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.destination) || e.source === e.destination) continue;
    out.get(e.source)?.push(e.destination);
    into.get(e.destination)?.push(e.source);
  }

  // Break cycles: an iterative DFS from the entry points marks back edges, which the layering ignores.
  const back = new Set<string>();
  const state = new Map<string, 1 | 2>();
  const roots = [...ids.filter((id) => (into.get(id)?.length ?? 0) === 0), ...ids];
  for (const root of roots) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const [node, i] = top;
      const next = out.get(node)?.[i];
      if (next === undefined) {
        state.set(node, 2);
        stack.pop();
        continue;
      }
      top[1] = i + 1;
      const s = state.get(next);
      if (s === 1) back.add(`${node}\u0000${next}`);
      else if (s === undefined) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  const forward = (a: string, b: string) => !back.has(`${a}\u0000${b}`);

  // Longest path from the entry points: each service one column right of its furthest caller.
  const layer = new Map<string, number>();
  const indegree = new Map(ids.map((id) => [id, (into.get(id) ?? []).filter((p) => forward(p, id)).length]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (const id of queue) layer.set(id, 0);
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q] as string;
    const l = layer.get(id) ?? 0;
    for (const next of out.get(id) ?? []) {
      if (!forward(id, next)) continue;
      layer.set(next, Math.max(layer.get(next) ?? 0, l + 1));
      const d = (indegree.get(next) ?? 1) - 1;
      indegree.set(next, d);
      if (d === 0) queue.push(next);
    }
  }

  const isolated = ids.filter((id) => (out.get(id)?.length ?? 0) === 0 && (into.get(id)?.length ?? 0) === 0);
  const isolatedSet = new Set(isolated);
  const layers: string[][] = [];
  for (const id of ids) {
    if (isolatedSet.has(id)) continue;
    const l = layer.get(id) ?? 0;
    (layers[l] ??= []).push(id);
  }

  // Order each layer by the mean position of its neighbours (barycentre), sweeping both ways.
  const order = new Map<string, number>();
  const renumber = (list: string[]) => list.forEach((id, i) => order.set(id, i));
  layers.forEach((list) => renumber(list));
  const bary = (id: string, neighbours: string[]) => {
    const placed = neighbours.filter((n) => order.has(n));
    if (placed.length === 0) return order.get(id) ?? 0;
    return placed.reduce((s, n) => s + (order.get(n) ?? 0), 0) / placed.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let l = 1; l < layers.length; l++) {
      const list = layers[l];
      if (!list) continue;
      const keys = new Map(list.map((id) => [id, bary(id, into.get(id) ?? [])]));
      list.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0));
      renumber(list);
    }
    for (let l = layers.length - 2; l >= 0; l--) {
      const list = layers[l];
      if (!list) continue;
      const keys = new Map(list.map((id) => [id, bary(id, out.get(id) ?? [])]));
      list.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0));
      renumber(list);
    }
  }

  const positions = new Map<string, Point>();
  if (options.direction === 'down') {
    // The same columns turned a quarter: layers become rows; bands side by side.
    if (options.groupOf) placeInBands(layers, isolated, options.groupOf, options, positions);
    else placeInColumns(layers, [], options, positions);
    for (const [id, p] of positions) positions.set(id, { x: p.y, y: p.x });
    if (!options.groupOf) placeIdleUnder(isolated, options, positions);
    return positions;
  }
  if (options.groupOf) placeInBands(layers, isolated, options.groupOf, options, positions);
  else placeInColumns(layers, isolated, options, positions);
  return positions;
}

/** Services without traffic, top to bottom: rows under the graph, no wider than it (at least two a row). */
function placeIdleUnder(isolated: string[], options: LayoutOptions, positions: Map<string, Point>): void {
  if (isolated.length === 0) return;
  const placed = [...positions.values()];
  const left = placed.length ? Math.min(...placed.map((p) => p.x)) : 0;
  const right = placed.length ? Math.max(...placed.map((p) => p.x)) : 0;
  const bottom = placed.length ? Math.max(...placed.map((p) => p.y)) + options.columnGap : 0;
  const perRow = Math.max(2, Math.floor((right - left) / options.rowGap) + 1);
  isolated.forEach((id, i) => positions.set(id, { x: left + (i % perRow) * options.rowGap, y: bottom + Math.floor(i / perRow) * options.columnGap * 0.7 }));
}

/** Each layer one column (or several side by side when taller than maxPerColumn), left to right. */
function placeInColumns(layers: string[][], isolated: string[], options: LayoutOptions, positions: Map<string, Point>): void {
  const { columnGap, rowGap, maxPerColumn } = options;
  let x = 0;
  let maxBottom = 0;
  for (const list of layers) {
    if (!list || list.length === 0) continue;
    const columns = Math.ceil(list.length / maxPerColumn);
    const perColumn = Math.ceil(list.length / columns);
    for (let c = 0; c < columns; c++) {
      const slice = list.slice(c * perColumn, (c + 1) * perColumn);
      const height = (slice.length - 1) * rowGap;
      // Staggered sub-columns keep folded layers from lining edges up behind each other.
      const offset = columns > 1 ? (c % 2) * (rowGap / 2) : 0;
      slice.forEach((id, i) => positions.set(id, { x: x + c * columnGap * 0.7, y: i * rowGap - height / 2 + offset }));
      maxBottom = Math.max(maxBottom, height / 2 + offset);
    }
    x += columnGap + (columns - 1) * columnGap * 0.7;
  }
  // Services with no traffic yet: a tidy grid under the graph, out of the way.
  const perRow = Math.max(4, Math.ceil(Math.sqrt(isolated.length * 2)));
  isolated.forEach((id, i) => {
    positions.set(id, { x: (i % perRow) * columnGap * 0.8, y: maxBottom + rowGap * 1.6 + Math.floor(i / perRow) * rowGap });
  });
}

/**
 * The same columns, cut into horizontal bands, one per group (namespace) in name order: a band is as tall
 * as its tallest column, callers stay left of callees across bands, and a band's services without traffic
 * sit in rows under its columns, inside the band.
 */
function placeInBands(layers: string[][], isolated: string[], groupOf: ReadonlyMap<string, string>, options: LayoutOptions, positions: Map<string, Point>): void {
  const { columnGap, rowGap, maxPerColumn } = options;
  const group = (id: string) => groupOf.get(id) ?? '';
  const groups = [...new Set([...layers.flat(), ...isolated].map(group))].sort();
  // A layer takes as many sub-columns as its biggest group needs, in every band alike.
  const columnsOf = layers.map((list) => {
    const counts = new Map<string, number>();
    for (const id of list ?? []) counts.set(group(id), (counts.get(group(id)) ?? 0) + 1);
    return Math.max(1, ...[...counts.values()].map((c) => Math.ceil(c / maxPerColumn)));
  });
  const xOf: number[] = [];
  let x = 0;
  for (const [l, list] of layers.entries()) {
    xOf[l] = x;
    if (list && list.length > 0) x += columnGap + ((columnsOf[l] ?? 1) - 1) * columnGap * 0.7;
  }
  const slots = Math.max(1, Math.round(x / (columnGap * 0.8)));
  let top = 0;
  for (const g of groups) {
    const columns: { x: number; ids: string[] }[] = [];
    for (const [l, list] of layers.entries()) {
      const members = (list ?? []).filter((id) => group(id) === g);
      if (members.length === 0) continue;
      const cols = Math.ceil(members.length / maxPerColumn);
      const per = Math.ceil(members.length / cols);
      for (let c = 0; c < cols; c++) columns.push({ x: (xOf[l] ?? 0) + c * columnGap * 0.7, ids: members.slice(c * per, (c + 1) * per) });
    }
    const rows = Math.max(0, ...columns.map((c) => c.ids.length));
    for (const c of columns) {
      const offset = ((rows - c.ids.length) * rowGap) / 2;
      c.ids.forEach((id, i) => positions.set(id, { x: c.x, y: top + offset + i * rowGap }));
    }
    // The next free row of the band.
    let y = top + rows * rowGap;
    const idle = isolated.filter((id) => group(id) === g);
    if (idle.length > 0) {
      const perRow = Math.max(4, Math.min(slots, Math.ceil(Math.sqrt(idle.length * 2))));
      const start = rows > 0 ? y + rowGap * 0.6 : y;
      idle.forEach((id, i) => positions.set(id, { x: (i % perRow) * columnGap * 0.8, y: start + Math.floor(i / perRow) * rowGap }));
      y = start + Math.ceil(idle.length / perRow) * rowGap;
    }
    // The next band starts below this one's last row, with room for both boxes' borders and the next one's name.
    top = y + rowGap * 1.2;
  }
}

/** "external" (callers outside the mesh) sorts first, so entry points start at the left. */
function byEntry(a: string, b: string): number {
  if (a === 'external') return -1;
  if (b === 'external') return 1;
  return a.localeCompare(b);
}

/** Places `wanted` where no kept position is closer than `minGap`, moving it down in steps. */
export function freeSpot(wanted: Point, taken: Iterable<Point>, minGapX: number, minGapY: number): Point {
  const list = [...taken];
  const p = { ...wanted };
  for (let i = 0; i < 200; i++) {
    if (!list.some((q) => Math.abs(q.x - p.x) < minGapX && Math.abs(q.y - p.y) < minGapY)) return p;
    p.y += minGapY;
  }
  return p;
}

/**
 * Nodes around an ellipse (wider than tall, as screens are), in the given order, and `centre` in its
 * middle: for a few namespace boxes that all call one another, which layers would string out into one
 * long chain. Neighbours on the ellipse are at least `spacing` apart.
 */
export function ellipseLayout(ids: readonly string[], centre: readonly string[], spacing: number): Map<string, Point> {
  const positions = new Map<string, Point>();
  // An ellipse of semi-axes 1.4r and 0.8r is about 7.0r around.
  const r = Math.max(spacing * 0.8, (ids.length * spacing) / 7.0);
  ids.forEach((id, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / ids.length;
    positions.set(id, { x: Math.round(1.4 * r * Math.cos(a)), y: Math.round(0.8 * r * Math.sin(a)) });
  });
  centre.forEach((id, i) => positions.set(id, { x: 0, y: (i - (centre.length - 1) / 2) * 70 }));
  return positions;
}
