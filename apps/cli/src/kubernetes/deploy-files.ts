import { stringify } from 'yaml';
import { customResourceDefinitions } from '@trellis/control-plane/kubernetes';

// The files under deploy/ that are generated, so a reader (or `kubectl apply -f deploy/crds`) finds them
// in the repo: written by `node --import tsx scripts/write-deploy-files.ts`, held to this code by a test.

const HEADER = '# Generated from the zod schemas in packages/shared by scripts/write-deploy-files.ts; do not edit.\n';

/** YAML documents, as `trellis install` prints them. */
export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** Every generated file under deploy/, by path from the repo root. */
export function deployFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const crd of customResourceDefinitions()) files[`deploy/crds/${crd.metadata.name}.yaml`] = HEADER + toYaml([crd]);
  return files;
}
