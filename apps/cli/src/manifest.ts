import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import { parseResource, type Resource } from '@trellis/shared';

export interface ManifestProblem {
  /** 1-based document index in the file. */
  document: number;
  line?: number | undefined;
  path: string;
  message: string;
}

/** Reads FILE (or stdin for "-"). */
export async function readManifest(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses a multi-document YAML manifest and validates every resource in it. All problems are returned
 * together, so nothing is applied unless the whole file is valid.
 */
export function parseManifest(text: string): { resources: Resource[]; problems: ManifestProblem[] } {
  const resources: Resource[] = [];
  const problems: ManifestProblem[] = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { prettyErrors: false, lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  let index = 0;
  for (const doc of list) {
    index++;
    if (doc.errors.length) {
      for (const e of doc.errors) {
        problems.push({ document: index, line: lines.linePos(e.pos[0]).line, path: '', message: `YAML: ${e.message.split('\n')[0]}` });
      }
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) {
      index--; // an empty document (e.g. a trailing ---) is not counted
      continue;
    }
    const parsed = parseResource(value);
    if (parsed.ok) resources.push(parsed.resource);
    else for (const e of parsed.errors) problems.push({ document: index, path: e.path, message: e.message });
  }
  if (index === 0 && problems.length === 0) problems.push({ document: 0, path: '', message: 'no resources in the file' });
  return { resources, problems };
}

export function formatProblem(file: string, p: ManifestProblem): string {
  const where = `${file === '-' ? '<stdin>' : file}: document ${p.document}${p.line ? ` (line ${p.line})` : ''}`;
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}
