import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSnapshot, saveSnapshot } from '../src/index.ts';
import { snapshot } from './fixtures.ts';

describe('the snapshot kept on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trellis-disk-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips: what is saved is what is loaded', async () => {
    const file = path.join(dir, 'snapshot.json');
    await saveSnapshot(file, snapshot(4));
    expect(await loadSnapshot(file)).toEqual({ snapshot: snapshot(4) });
  });

  it('creates the directory it is kept in', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'snapshot.json');
    await saveSnapshot(file, snapshot(1));
    expect((await loadSnapshot(file)).snapshot?.version).toBe(1);
  });

  it('replaces the previous copy, leaving no temporary files behind', async () => {
    const file = path.join(dir, 'snapshot.json');
    await saveSnapshot(file, snapshot(1));
    await saveSnapshot(file, snapshot(2));
    expect((await loadSnapshot(file)).snapshot?.version).toBe(2);
    expect(await readdir(dir)).toEqual(['snapshot.json']);
  });

  it('has nothing (and no problem) when there is no file yet', async () => {
    expect(await loadSnapshot(path.join(dir, 'missing.json'))).toEqual({});
  });

  it('reports a file that is not JSON as a problem instead of throwing', async () => {
    const file = path.join(dir, 'snapshot.json');
    await writeFile(file, '{"version": 3, "digest": "abc", "crea');
    const loaded = await loadSnapshot(file);
    expect(loaded.snapshot).toBeUndefined();
    expect(loaded.problem).toMatch(/snapshot\.json is not JSON/);
  });

  it('reports valid JSON that is not a valid snapshot as a problem', async () => {
    const file = path.join(dir, 'snapshot.json');
    await writeFile(file, JSON.stringify({ ...snapshot(3), tracing: { sampling: 7 } }));
    const loaded = await loadSnapshot(file);
    expect(loaded.snapshot).toBeUndefined();
    expect(loaded.problem).toMatch(/does not hold a valid snapshot/);
  });

  it('reports an empty file as a problem', async () => {
    const file = path.join(dir, 'snapshot.json');
    await writeFile(file, '');
    expect((await loadSnapshot(file)).problem).toMatch(/not JSON/);
  });

  it('writes plain JSON that other tools can read', async () => {
    const file = path.join(dir, 'snapshot.json');
    await saveSnapshot(file, snapshot(5));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(snapshot(5));
  });
});
