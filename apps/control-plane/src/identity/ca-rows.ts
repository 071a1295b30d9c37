import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Database } from '../db/open.ts';
import type { CaState, CaStorage } from './ca-files.ts';

const STATE = 'state.json';
const FORMAT = 'v1';

/** The shortest TRELLIS_CA_SECRET accepted: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_CA_SECRET_LENGTH = 32;

/**
 * The self-managed CA's files kept as rows of `ca_objects`, for control-plane replicas that share one
 * Postgres: every replica reads the same CA, and a rotation made through one is seen by all. Each body is
 * sealed with AES-256-GCM under a key derived (HKDF-SHA256) from TRELLIS_CA_SECRET, with the row's name
 * as associated data (a body cannot be moved to another row). A database dump alone gives no key.
 */
export class CaRows implements CaStorage {
  private readonly key: Buffer;

  constructor(
    private readonly prisma: Database,
    secret: string,
  ) {
    if (secret.length < MIN_CA_SECRET_LENGTH) throw new Error(`TRELLIS_CA_SECRET must be at least ${MIN_CA_SECRET_LENGTH} characters`);
    this.key = Buffer.from(hkdfSync('sha256', secret, 'trellis mesh CA', 'ca_objects v1', 32));
  }

  get where(): string {
    return 'the database (ca_objects, sealed with TRELLIS_CA_SECRET)';
  }

  async readState(): Promise<CaState | undefined> {
    const row = await this.prisma.caObject.findUnique({ where: { name: STATE } });
    return row ? (JSON.parse(this.open(STATE, row.body)) as CaState) : undefined;
  }

  async writeState(state: CaState): Promise<void> {
    await this.write(STATE, JSON.stringify(state));
  }

  async read(name: string): Promise<string> {
    const row = await this.prisma.caObject.findUnique({ where: { name } });
    if (!row) throw new Error(`the mesh CA's ${name} is missing from the database`);
    return this.open(name, row.body);
  }

  async write(name: string, text: string): Promise<void> {
    const body = this.seal(name, text);
    await this.prisma.caObject.upsert({ where: { name }, create: { name, body }, update: { body } });
  }

  private seal(name: string, text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(name));
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
  }

  private open(name: string, body: string): string {
    const [format, iv, tag, sealed] = body.split(':');
    if (format !== FORMAT || !iv || !tag || sealed === undefined) throw new Error(`the mesh CA's ${name} in the database is not in a format this control plane reads`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`the mesh CA in the database cannot be opened with this TRELLIS_CA_SECRET: every replica must be given the same secret as the one that made the CA`);
    }
  }
}
