// What keeping the control plane's WebAssembly on Liftoff (apps/control-plane/src/db/wasm-tiering.ts)
// costs per database statement: Prisma statements on PGlite (a findMany, a count and a raw upsert, in
// turn), counted by valgrind's callgrind once warm, with V8's tiering (TurboFan takes the hot functions)
// and with Liftoff only. Instruction counts do not move with the machine's load. ~10 minutes.
//
//   npx tsx bench/config-push/wasm-instructions.ts [--warmup 1500] [--count 600]
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const { values } = parseArgs({ options: { warmup: { type: 'string', default: '1500' }, count: { type: 'string', default: '600' }, child: { type: 'string' } } });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** In the process callgrind runs: open a database, warm up, zero the counters, run the counted rounds, dump. */
async function child(tier: string): Promise<void> {
  const { keepWasmOnLiftoff } = await import('../../apps/control-plane/src/db/wasm-tiering.ts');
  if (tier === 'liftoff') keepWasmOnLiftoff();
  const { openDatabase } = await import('../../apps/control-plane/src/db/open.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-wasm-'));
  const db = await openDatabase({ dataDir: dir });
  await db.prisma.$executeRawUnsafe('CREATE TABLE bench_rows (id text PRIMARY KEY, v text)');
  const rounds = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await db.prisma.resource.findMany({ where: { kind: 'Service', name: `s${i % 50}` } });
      await db.prisma.resource.count({ where: { kind: { in: ['Service', 'TrafficSplit'] } } });
      await db.prisma.$executeRawUnsafe('INSERT INTO bench_rows (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = excluded.v', `p-${i % 500}`, 'x'.repeat(300));
    }
  };
  // callgrind_control is answered while this process runs: keep its event loop busy while it waits, and
  // only then (a timer during the rounds would add instructions in proportion to their duration).
  const control = async (flag: string) => {
    const busy = setInterval(() => undefined, 10);
    await promisify(execFile)('callgrind_control', [flag, String(process.pid)]);
    clearInterval(busy);
  };
  await rounds(Number(values.warmup));
  await new Promise((r) => setTimeout(r, 2000)); // background compilations finish
  await control('--zero');
  await rounds(Number(values.count));
  await control('--dump');
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Runs one tier under callgrind and returns the instructions of its counted rounds. */
async function measure(tier: string, out: string): Promise<number> {
  const args = ['--tool=callgrind', '--trace-children=no', '--smc-check=all-non-file', `--callgrind-out-file=${path.join(out, `callgrind.out.${tier}.%p`)}`, '--dump-instr=no', '--dump-line=no'];
  const proc = spawn('valgrind', [...args, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), '--child', tier, '--warmup', String(values.warmup), '--count', String(values.count)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`${tier}: exit ${String(code)}`);
  // The dump asked for after the counted rounds is the file with a part number (.1); the one at exit has none.
  const dump = readdirSync(out).find((f) => f.startsWith(`callgrind.out.${tier}.`) && f.endsWith('.1'));
  const total = dump && /^(?:totals|summary): (\d+)/m.exec(readFileSync(path.join(out, dump), 'utf8'));
  if (!total) throw new Error(`${tier}: no callgrind dump`);
  return Number(total[1]);
}

if (values.child) {
  await child(values.child);
} else {
  const out = mkdtempSync(path.join(os.tmpdir(), 'trellis-bench-wasm-cg-'));
  const statements = 3 * Number(values.count);
  console.log(`Prisma statements on PGlite, ${values.warmup} x 3 to warm up, then ${statements} counted (instructions of the whole process, callgrind)\n`);
  console.log('| WebAssembly | instructions per statement |');
  console.log('|---|---:|');
  for (const tier of ['tiered', 'liftoff']) {
    const instructions = await measure(tier, out);
    console.log(`| ${tier === 'tiered' ? "V8's default (Liftoff, then TurboFan for hot functions)" : 'Liftoff only (keepWasmOnLiftoff)'} | ${(instructions / statements / 1e6).toFixed(2)} M |`);
  }
  rmSync(out, { recursive: true, force: true });
}
