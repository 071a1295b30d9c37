// Writes the generated files under deploy/ (CRDs, the Helm chart) from the code that makes them; the test
// apps/cli/test/kubernetes-deploy-files.test.ts fails until they are rewritten after a schema change.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployFiles } from '../apps/cli/src/kubernetes/deploy-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = deployFiles();
// Files of kinds that no longer exist go too.
for (const dir of new Set(Object.keys(files).map((f) => path.dirname(f)))) {
  const existing = await readdir(path.join(root, dir)).catch(() => [] as string[]);
  for (const name of existing) if (name.endsWith('.yaml') && !(path.join(dir, name) in files)) await rm(path.join(root, dir, name));
}
for (const [file, text] of Object.entries(files)) {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}
console.log(`wrote ${Object.keys(files).length} files under deploy/`);
