// Preloaded into the bench's control plane (`--cp-memory`: node --import this-file): on SIGUSR2 it writes
// what holds the process's RSS to $TRELLIS_BENCH_MEMORY_FILE, read by run.ts. From /proc/self/smaps
// (every mapping's resident size, by kind) and V8's heap statistics, taken in the same turn.
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const MB = 2 ** 20;
const ARENA = 64 * MB; // glibc's per-thread malloc heaps are 64 MB-aligned reservations of 64 MB

/** Resident MB by kind of mapping. */
function mappings() {
  const maps = [];
  let current;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      current = { start: parseInt(head[1], 16), end: parseInt(head[2], 16), perm: head[3], name: head[4] ?? '', rss: 0 };
      maps.push(current);
    } else if (current && line.startsWith('Rss:')) {
      current.rss = Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
    }
  }
  const byStart = new Map(maps.map((m) => [m.start, m]));
  /** A glibc thread arena: 64 MB-aligned, its unused rest a ---p mapping up to the next 64 MB boundary. */
  const isArena = (m) => {
    const rest = byStart.get(m.end);
    return m.start % ARENA === 0 && m.perm === 'rw-p' && (m.end - m.start === ARENA || (rest?.perm === '---p' && rest.end - m.start === ARENA));
  };
  const byKind = {};
  for (const m of maps) {
    const size = m.end - m.start;
    let kind;
    if (m.name === '[heap]') kind = 'malloc (main arena)';
    else if (m.name.startsWith('/')) kind = m.name.endsWith('/node') ? 'node binary' : 'shared libraries and files';
    else if (m.name) kind = 'other';
    // V8 reserves a WebAssembly memory at its declared size in one mapping: PGlite's is 128 MB or more.
    else if (size >= 100 * MB && m.perm === 'rw-p') kind = 'WebAssembly memory (PGlite)';
    else if (isArena(m)) kind = 'malloc (thread arenas)';
    else if (m.perm.includes('x')) kind = 'JIT and WebAssembly code';
    else kind = 'other anonymous (V8 heap, buffers)';
    byKind[kind] = (byKind[kind] ?? 0) + m.rss / MB;
  }
  return byKind;
}

process.on('SIGUSR2', () => {
  const file = process.env.TRELLIS_BENCH_MEMORY_FILE;
  if (!file) return;
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size / MB]));
  const heap = v8.getHeapStatistics();
  const usage = process.memoryUsage();
  writeFileSync(
    file,
    JSON.stringify({
      rss: usage.rss / MB,
      mappings: mappings(),
      v8: { total: heap.total_physical_size / MB, used: heap.used_heap_size / MB, young: spaces.new_space ?? 0, old: spaces.old_space ?? 0, largeObjects: (spaces.large_object_space ?? 0) + (spaces.new_large_object_space ?? 0), code: spaces.code_space ?? 0 },
      arrayBuffers: usage.arrayBuffers / MB,
    }),
  );
});
