import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deployFiles } from '../src/kubernetes/deploy-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('generated files under deploy/', () => {
  it('match the code that makes them (after a schema change: npm run deploy-files)', async () => {
    const files = deployFiles();
    for (const [file, text] of Object.entries(files)) {
      const onDisk = await readFile(path.join(root, file), 'utf8').catch(() => `(missing: ${file})`);
      expect(onDisk, `${file} is out of date: run npm run deploy-files`).toBe(text);
    }
    // No CRD of a kind that is gone.
    const crds = await readdir(path.join(root, 'deploy/crds'));
    expect(crds.map((f) => `deploy/crds/${f}`).sort()).toEqual(Object.keys(files).filter((f) => f.startsWith('deploy/crds/')).sort());
  });
});
