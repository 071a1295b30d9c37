import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { trustBundle, type TrustBundle } from '@trellis/shared';

/** The last good identity: key, certificate chain and trust bundle, so a restart without a control plane still speaks mTLS. */
export interface SavedIdentity {
  keyPem: string;
  chainPem: string;
  bundle: TrustBundle;
}

/** `<data dir>/identity.json`, owner-readable only (0600), written atomically. */
export class IdentityFile {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'identity.json');
  }

  async load(): Promise<SavedIdentity | undefined> {
    try {
      const json = JSON.parse(await readFile(this.file, 'utf8')) as Partial<Record<keyof SavedIdentity, unknown>>;
      const bundle = trustBundle.safeParse(json.bundle);
      if (typeof json.keyPem !== 'string' || typeof json.chainPem !== 'string' || !bundle.success) return undefined;
      return { keyPem: json.keyPem, chainPem: json.chainPem, bundle: bundle.data };
    } catch {
      return undefined;
    }
  }

  async save(identity: SavedIdentity): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(identity), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}
