import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import pg from 'pg';
import { parseDatabaseUrl } from '../db/open.ts';

/** Postgres refuses NOTIFY payloads of 8,000 bytes or more: larger messages go in numbered pieces. */
const PIECE_CHARS = 7000;
/** A message whose pieces have not all come within this long is dropped. */
const PIECES_TIMEOUT_MS = 10_000;
const RECONNECT_MS = 1000;

/** One NOTIFY: a piece of a deflated, base64 message from replica `r`. */
interface Piece {
  r: string;
  m: number;
  i: number;
  n: number;
  d: string;
}

export interface BusMessage {
  kind: string;
  body: unknown;
}

/**
 * The control-plane replicas' message bus: Postgres LISTEN/NOTIFY on one channel per database and schema,
 * over a dedicated connection (a pooled one may be handed to someone else between queries, and LISTEN
 * belongs to a session). The same connection names itself `application_name = <channel>:<replica id>`, so
 * which replicas are alive is read from pg_stat_activity: a replica whose process dies loses its connection
 * and leaves that list, with no heartbeat table and no consensus of our own.
 * Events: 'message' (kind, body, from), 'connected' (after every (re)connect: messages may have been
 * missed, listeners resynchronise), 'disconnected' (Error).
 */
export class ReplicaBus extends EventEmitter {
  /** This replica's id (random, per process). */
  readonly id = randomBytes(6).toString('hex');
  readonly channel: string;
  private client: pg.Client | undefined;
  private closed = false;
  private sequence = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly partial = new Map<string, { pieces: string[]; got: number; at: number }>();

  private constructor(private readonly databaseUrl: string) {
    super();
    const { connectionString, schema } = parseDatabaseUrl(databaseUrl);
    const url = new URL(connectionString);
    // Channels are per database, not per schema: two meshes in two schemas of one database must not hear each other.
    this.channel = `trellis_${createHash('sha256').update(`${url.host}${url.pathname}/${schema ?? 'public'}`).digest('hex').slice(0, 12)}`;
  }

  /** Connects and listens; rejects when Postgres cannot be reached. */
  static async open(databaseUrl: string): Promise<ReplicaBus> {
    const bus = new ReplicaBus(databaseUrl);
    await bus.connect();
    return bus;
  }

  /** Sends a message to every other replica (not to this one). */
  async publish(kind: string, body: unknown): Promise<void> {
    const client = this.client;
    if (!client) return;
    const data = deflateRawSync(JSON.stringify({ kind, body } satisfies BusMessage)).toString('base64');
    const n = Math.max(1, Math.ceil(data.length / PIECE_CHARS));
    const m = ++this.sequence;
    for (let i = 0; i < n; i++) {
      const piece: Piece = { r: this.id, m, i, n, d: data.slice(i * PIECE_CHARS, (i + 1) * PIECE_CHARS) };
      await client.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(piece)]);
    }
  }

  /** The ids of the replicas connected to the database now, this one included. */
  async replicas(): Promise<Set<string>> {
    const client = this.client;
    if (!client) return new Set([this.id]);
    const prefix = `${this.channel}:`;
    const { rows } = await client.query<{ application_name: string }>(
      'SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1',
      [`${prefix}%`],
    );
    return new Set(rows.map((r) => r.application_name.slice(prefix.length)));
  }

  /**
   * Runs `fn` while holding a Postgres advisory lock (on this bus's own connection), so only one replica
   * at a time does it: for example making the mesh CA on a first start.
   */
  async exclusively<T>(lockName: string, fn: () => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client) throw new Error('the replica bus is not connected to Postgres');
    const key = createHash('sha256').update(`${this.channel}/${lockName}`).digest().readBigInt64BE(0).toString();
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { connectionString } = parseDatabaseUrl(this.databaseUrl);
    const client = new pg.Client({ connectionString, application_name: `${this.channel}:${this.id}` });
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) this.receive(n.payload);
    });
    const lost = (err: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.emit('disconnected', err);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the connection to Postgres ended')));
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.client = client;
    this.emit('connected');
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((err: Error) => {
        this.emit('disconnected', err);
        this.scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private receive(payload: string): void {
    let piece: Piece;
    try {
      piece = JSON.parse(payload) as Piece;
    } catch {
      return;
    }
    if (piece.r === this.id) return;
    let data: string;
    if (piece.n === 1) {
      data = piece.d;
    } else {
      const key = `${piece.r}/${piece.m}`;
      const now = Date.now();
      for (const [k, p] of this.partial) if (now - p.at > PIECES_TIMEOUT_MS) this.partial.delete(k);
      let entry = this.partial.get(key);
      if (!entry) this.partial.set(key, (entry = { pieces: new Array<string>(piece.n), got: 0, at: now }));
      if (entry.pieces[piece.i] === undefined) entry.got++;
      entry.pieces[piece.i] = piece.d;
      if (entry.got < piece.n) return;
      this.partial.delete(key);
      data = entry.pieces.join('');
    }
    let message: BusMessage;
    try {
      message = JSON.parse(inflateRawSync(Buffer.from(data, 'base64')).toString('utf8')) as BusMessage;
    } catch {
      return;
    }
    this.emit('message', message.kind, message.body, piece.r);
  }
}
