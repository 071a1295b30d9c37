import * as fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSnapshot, saveSnapshot } from '../src/index.ts';
import { snapshot } from './fixtures.ts';

// The write must be atomic: a reader (the proxy restarting after a crash, or during a save) sees the
// old complete snapshot or the new complete one, never part of one. To check this deterministically,
// writeFile is wrapped so a test can look at the target while the bytes are being written, and can
// make a write die halfway, as a crash or a full disk would.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const writeFile = vi.fn(actual.writeFile);
  return { ...actual, writeFile, default: { ...actual, writeFile } };
});

const actual = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
const writeFile = vi.mocked(fs.writeFile);

describe('saving the snapshot is atomic', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await actual.mkdtemp(path.join(tmpdir(), 'trellis-atomic-'));
    file = path.join(dir, 'snapshot.json');
    writeFile.mockClear();
  });
  afterEach(async () => {
    writeFile.mockReset();
    writeFile.mockImplementation(actual.writeFile);
    await actual.rm(dir, { recursive: true, force: true });
  });

  it('never writes into the file readers use: it writes a temporary file beside it, then renames', async () => {
    await saveSnapshot(file, snapshot(1));
    writeFile.mockClear();
    const seenDuringWrite: (string | undefined)[] = [];
    writeFile.mockImplementation(async (target, data) => {
      // While the new bytes are being written, the real file still holds the old, complete snapshot.
      seenDuringWrite.push(readFileSync(file, 'utf8'));
      expect(String(target)).not.toBe(file);
      // Same directory: rename(2) is only atomic within one file system.
      expect(path.dirname(String(target))).toBe(dir);
      await actual.writeFile(target, data as string);
    });
    await saveSnapshot(file, snapshot(2));
    expect(writeFile).toHaveBeenCalledTimes(1);
    expect(seenDuringWrite.map((text) => text && (JSON.parse(text) as { version: number }).version)).toEqual([1]);
    expect((await loadSnapshot(file)).snapshot?.version).toBe(2);
  });

  it('keeps the old snapshot intact when a write dies halfway', async () => {
    await saveSnapshot(file, snapshot(1));
    writeFile.mockImplementationOnce(async (target, data) => {
      const text = String(data);
      await actual.writeFile(target, text.slice(0, text.length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    await expect(saveSnapshot(file, snapshot(2))).rejects.toThrow(/ENOSPC/);
    // A proxy starting now still finds a whole, valid snapshot: the old one.
    expect(await loadSnapshot(file)).toEqual({ snapshot: snapshot(1) });
    // And the next save succeeds.
    await saveSnapshot(file, snapshot(3));
    expect((await loadSnapshot(file)).snapshot?.version).toBe(3);
  });

  it('never shows a partial file to a reader polling during many saves of a large snapshot', async () => {
    const big = snapshot(1);
    const service = big.outbound.services[0];
    if (!service) throw new Error('fixture has no service');
    // ~1.5 MB: large enough that a plain writeFile would be seen half-written.
    service.endpoints = Array.from({ length: 20_000 }, (_, i) => ({ address: `10.1.${i >> 8}.${i & 255}`, port: 9080, labels: { version: 'v1', pod: `reviews-${i}` } }));
    await saveSnapshot(file, big);
    let saving = true;
    const reads: boolean[] = [];
    const reader = (async () => {
      while (saving) {
        const text = await actual.readFile(file, 'utf8').catch(() => '');
        try {
          JSON.parse(text);
          reads.push(true);
        } catch {
          reads.push(false);
        }
      }
    })();
    for (let version = 2; version <= 5; version++) await saveSnapshot(file, { ...big, version });
    saving = false;
    await reader;
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every(Boolean)).toBe(true);
    expect((await loadSnapshot(file)).snapshot?.version).toBe(5);
  });
});
