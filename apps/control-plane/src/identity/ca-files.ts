import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the CA keeps on disk besides its certificates and keys: which roots exist and which one issues. */
export interface CaState {
  bundleVersion: number;
  roots: { id: string; status: RootStatus }[];
  /** The root whose intermediate signs certificates now. */
  issuingRoot: string;
}

/**
 * active: trusted and issuing (or issued) certificates; incoming: trusted, not issuing yet (a rotation is
 * spreading it); retiring: still trusted while every proxy moves to the new root.
 */
export type RootStatus = 'active' | 'incoming' | 'retiring';

/** Where a self-managed CA keeps its files: a folder (CaFiles), or sealed rows in Postgres for replicas (CaRows). */
export interface CaStorage {
  /** Where it is, for logs. */
  readonly where: string;
  readState(): Promise<CaState | undefined>;
  writeState(state: CaState): Promise<void>;
  read(name: string): Promise<string>;
  /** `mode` applies to files (keys 0600, certificates 0644). */
  write(name: string, text: string, mode?: number): Promise<void>;
}

/**
 * The self-managed CA's files in `<data dir>/ca`: state.json, and for each root `<id>.root.crt`,
 * `<id>.root.key`, `<id>.intermediate.crt`, `<id>.intermediate.key`. Keys are written 0600 and the folder
 * 0700; nothing of the CA goes into the database.
 */
export class CaFiles implements CaStorage {
  constructor(readonly dir: string) {}

  get where(): string {
    return `${this.dir} (keys 0600)`;
  }

  async readState(): Promise<CaState | undefined> {
    try {
      return JSON.parse(await readFile(path.join(this.dir, 'state.json'), 'utf8')) as CaState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`the CA's state in ${this.dir}/state.json cannot be read (${(err as Error).message}); restore it from a backup, or move the folder away to start a new CA (every proxy must then join again)`);
    }
  }

  async writeState(state: CaState): Promise<void> {
    await this.write('state.json', `${JSON.stringify(state, null, 2)}\n`, 0o644);
  }

  async read(name: string): Promise<string> {
    return readFile(path.join(this.dir, name), 'utf8');
  }

  /** Writes atomically (a temp file renamed over), keys readable by the owner only. */
  async write(name: string, text: string, mode = 0o600): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const file = path.join(this.dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  }
}
