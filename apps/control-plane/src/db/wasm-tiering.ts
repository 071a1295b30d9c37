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
 * arenas 75-99 MB with tiering, 13-18 MB without; its RSS 322-365 MB before this and the young-generation
 * cap, 227-243 MB after. What it costs: Liftoff's code is slower. Counted by callgrind, a warm Prisma
 * statement on PGlite takes ~10 % more instructions (3.07 M against 2.78 M for the whole process,
 * bench/config-push/wasm-instructions.ts); in exchange there is no TurboFan compilation on background
 * threads while the first thousands of statements run. Per hello storm and per change round the control
 * plane's CPU did not move measurably on a shared machine (docs/BENCHMARKS.md, issue 15).
 */
export function keepWasmOnLiftoff(): void {
  v8.setFlagsFromString('--liftoff-only');
}
