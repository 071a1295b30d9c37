import v8 from 'node:v8';

/**
 * Keeps the process's WebAssembly (PGlite's Postgres, 9 MB; Prisma's query compiler, 3.4 MB) on V8's
 * baseline compiler, Liftoff, instead of recompiling its hot functions with TurboFan. Call it before the
 * first module is compiled (before the database opens); it holds for every module compiled after.
 *
 * TurboFan's recompilation of PGlite's hot functions during open and the first queries allocates some
 * 40-70 MB in malloc on V8's background threads; it is freed, but glibc keeps it in its per-thread
 * arenas for the life of the process (a `malloc_trim` gave 43 MB of it back; Node has no way to call
 * that). Measured in the control plane's own process after a 1,000-proxy hello storm: malloc's thread
 * arenas 98 MB with tiering, 14 MB without. What it costs: Liftoff code is slower, yet a Prisma query on
 * PGlite spends most of its CPU in JavaScript: 410-500 us per query either way once warm (PGlite's own
 * upserts: ~125 us against ~110 us), and the first thousands of queries cost half as much CPU without
 * the background recompilation (docs/BENCHMARKS.md, issue 15).
 */
export function keepWasmOnLiftoff(): void {
  v8.setFlagsFromString('--liftoff-only');
}
