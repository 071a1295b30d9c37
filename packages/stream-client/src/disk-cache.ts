import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { snapshotSchema, type Snapshot } from '@trellis/shared';

let saves = 0;

/**
 * Saves the last good snapshot atomically and durably: written to a temp file of its own, synced, then
 * renamed over the old one, so a crash or power loss never leaves half a file.
 */
export async function saveSnapshot(file: string, snapshot: Snapshot): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++saves}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(snapshot));
    const handle = await open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
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
