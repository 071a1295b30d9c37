import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, test } from 'vitest';
import { keepWasmOnLiftoff } from '../src/db/wasm-tiering.ts';

// The control plane's process keeps PGlite and Prisma's query compiler on Liftoff: TurboFan's
// recompilation left 40-70 MB in malloc's arenas for good (db/wasm-tiering.ts). V8's own test functions
// (natives syntax) tell which tier a function runs on.

v8.setFlagsFromString('--allow-natives-syntax');
const onTurboFan = vm.runInThisContext('(f) => %IsTurboFanFunction(f)') as (f: unknown) => boolean;
const onLiftoff = vm.runInThisContext('(f) => %IsLiftoffFunction(f)') as (f: unknown) => boolean;
// Node's types leave out the WebAssembly global; this is the one call used.
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array): Promise<{ instance: { exports: Record<string, unknown> } }> } };

/** A module exporting `spin(n)`, a loop of n additions; `tag` names the export, so that each call compiles a module of its own (V8 reuses a module compiled from the same bytes). */
function spinModule(tag: number): Uint8Array {
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
    0x03, 0x02, 0x01, 0x00, // function 0 of type 0
    0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, tag, 0x00, 0x00, // export "spi<tag>"
    0x0a, 0x23, 0x01, 0x21, 0x01, 0x01, 0x7f, // code: one body, one i32 local
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 0x00, 0x45, 0x0d, 0x01, // n == 0: leave
    0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, // s += n
    0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, // n -= 1
    0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b, // again; end, end; return s
  ]);
}

/** Runs the module's function hot (until TurboFan takes it, or 50 rounds) and says which tier it ended on. */
async function tierAfterHotCalls(tag: number): Promise<{ turboFan: boolean; liftoff: boolean }> {
  const { instance } = await wasm.instantiate(spinModule(tag));
  const spin = Object.values(instance.exports)[0] as (n: number) => number;
  for (let round = 0; round < 50 && !onTurboFan(spin); round++) {
    spin(1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { turboFan: onTurboFan(spin), liftoff: onLiftoff(spin) };
}

test('WebAssembly compiled after keepWasmOnLiftoff stays on Liftoff however hot it runs', async () => {
  try {
    // Without it, the same function is taken over by TurboFan (so this test can fail).
    expect(await tierAfterHotCalls(0x6e)).toEqual({ turboFan: true, liftoff: false });
    keepWasmOnLiftoff();
    expect(await tierAfterHotCalls(0x6f)).toEqual({ turboFan: false, liftoff: true });
  } finally {
    v8.setFlagsFromString('--no-liftoff-only');
  }
});
