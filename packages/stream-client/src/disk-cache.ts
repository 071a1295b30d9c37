import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { snapshotSchema, type Snapshot } from '@trellis/shared';

/** Saves the last good snapshot atomically (write then rename), so a crash never leaves half a file. */
export async function saveSnapshot(file: string, snapshot: Snapshot): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(snapshot));
  await rename(tmp, file);
}

/** The snapshot kept on disk, or undefined when there is none or it does not validate. */
export async function loadSnapshot(file: string): Promise<{ snapshot?: Snapshot; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = snapshotSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { snapshot: parsed.data };
    return { problem: `${file} does not hold a valid snapshot: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  } catch (err) {
    return { problem: `${file} is not JSON: ${(err as Error).message}` };
  }
}
