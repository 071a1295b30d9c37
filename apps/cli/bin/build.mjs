// Builds the trellis command once, and again only when a source file changed: one esbuild bundle of the
// workspaces' TypeScript (dependencies stay in node_modules), plus the Prisma client when the schema is
// newer than it. Fast enough (~1 s) to run from the launcher; the result is plain JavaScript, so proxies
// start quickly and carry no TypeScript loader in memory.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const distDir = path.join(repoRoot, 'apps/cli/dist');
export const entryOut = path.join(distDir, 'trellis.js');

const SOURCE_DIRS = ['apps/cli/src', 'apps/control-plane/src', 'apps/proxy/src', 'apps/demo/src', 'packages/shared/src', 'packages/stream-client/src', 'bench'];
const schemaFile = path.join(repoRoot, 'prisma/schema.prisma');
const prismaClient = path.join(repoRoot, 'apps/control-plane/src/generated/prisma/client.ts');

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'generated' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Generates the Prisma client when it is missing or older than schema.prisma. */
export function ensurePrismaClient(log = (line) => process.stderr.write(`${line}\n`)) {
  if (existsSync(prismaClient) && statSync(prismaClient).mtimeMs >= statSync(schemaFile).mtimeMs) return;
  log('trellis: generating the Prisma client (prisma generate)');
  // `prisma generate` needs no schema engine, but the CLI insists that one exists; any file will do.
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/prisma/build/index.js'), 'generate'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
}

// How the generated Prisma client loads its query compiler (WebAssembly): from a module of base64 text.
const PRISMA_WASM_IMPORT = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/(query_compiler_\w+_bg\.\w+)\.wasm-base64\.mjs)"\)\s*return await decodeBase64AsWasm\(wasm\)/;

/**
 * An esbuild plugin that has the bundled Prisma client compile its query compiler from a .wasm file
 * in dist/ (decoded here from @prisma/client's base64 module), instead of importing that 4.6 MB module:
 * imported, its source text and its string stay in the V8 heap for the life of the process, 8.7 MB of
 * the control plane's (issue 15). Should a Prisma upgrade change that code, the bundle keeps Prisma's
 * own loading and the build says so. `wasmFiles` collects the files to write beside the bundle.
 */
function prismaWasmFile(wasmFiles) {
  return {
    name: 'prisma-query-compiler-wasm-file',
    setup(build) {
      build.onLoad({ filter: /[\\/]generated[\\/]prisma[\\/]internal[\\/]class\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const found = PRISMA_WASM_IMPORT.exec(source);
        if (!found) {
          process.stderr.write('trellis: the Prisma client no longer loads its query compiler as build.mjs expects; it stays as Prisma loads it (8.7 MB more heap)\n');
          return undefined;
        }
        const [, specifier, name] = found;
        const base64 = /"([A-Za-z0-9+/=]+)"/.exec(readFileSync(createRequire(args.path).resolve(specifier), 'utf8'))?.[1];
        if (!base64) throw new Error(`build: no base64 text in ${specifier}`);
        wasmFiles.set(`${name}.wasm`, Buffer.from(base64, 'base64'));
        const load = `return new WebAssembly.Module(await (await import('node:fs/promises')).readFile(new URL('./${name}.wasm', import.meta.url)))`;
        return { contents: source.replace(found[0], load), loader: 'ts', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** True when dist/trellis.js is missing or older than any source file. */
export function isStale() {
  if (!existsSync(entryOut)) return true;
  const built = statSync(entryOut).mtimeMs;
  return SOURCE_DIRS.some((dir) => newestMtime(path.join(repoRoot, dir)) > built) || statSync(schemaFile).mtimeMs > built;
}

/** Builds dist/ if it is stale. Safe when several processes race: each builds aside, then renames. */
export async function ensureBuilt({ force = false, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  ensurePrismaClient(log);
  if (!force && !isStale()) return entryOut;
  const started = Date.now();
  // Staging folders left by a build that was killed half-way would otherwise pile up.
  for (const entry of readdirSync(path.dirname(distDir))) {
    const full = path.join(path.dirname(distDir), entry);
    if (entry.startsWith('dist.') && Date.now() - statSync(full).mtimeMs > 10 * 60_000) rmSync(full, { recursive: true, force: true });
  }
  const esbuild = await import('esbuild');
  const staging = `${distDir}.${process.pid}.${Date.now()}`;
  const wasmFiles = new Map();
  await esbuild.build({
    entryPoints: { trellis: path.join(repoRoot, 'apps/cli/src/main.ts') },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    // Our workspaces are TypeScript and get bundled; everything from npm is loaded from node_modules.
    plugins: [
      {
        name: 'external-npm-packages',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@trellis/') ? undefined : { path: args.path, external: true },
          );
        },
      },
      prismaWasmFile(wasmFiles),
    ],
    banner: { js: "import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);" },
  });
  // Beside the chunks (no chunk is in a subfolder), where `new URL(name, import.meta.url)` finds them.
  for (const [name, bytes] of wasmFiles) writeFileSync(path.join(staging, name), bytes);
  rmSync(distDir, { recursive: true, force: true });
  try {
    renameSync(staging, distDir);
  } catch {
    // Another process won the race with an equally fresh build.
    rmSync(staging, { recursive: true, force: true });
  }
  log(`trellis: built ${path.relative(repoRoot, entryOut)} in ${Date.now() - started} ms`);
  return entryOut;
}

// Run directly (`node apps/cli/bin/build.mjs`, as the bench docs say), it builds now if anything changed.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await ensureBuilt({ log: (line) => process.stdout.write(`${line}\n`) });
}
