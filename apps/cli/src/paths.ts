import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where turbo.json is), found from this file: works from src/ and from dist/. */
export function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'turbo.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the repository root above ${from}`);
  }
}

/** The command that runs this CLI again (for child processes). */
export function trellisCommand(root = repoRoot()): [string, string[]] {
  return [process.execPath, [path.join(root, 'apps/cli/bin/trellis.mjs')]];
}
