import { EventEmitter } from 'node:events';
import type { Span } from '@trellis/shared';
import type { PrismaClient, Span as SpanRow } from '../generated/prisma/client.ts';

export interface SpanStoreOptions {
  /** Spans older than this are deleted. */
  maxAgeMs: number;
  /** At most this many spans are kept (the oldest go first). */
  maxSpans: number;
  /** Spans waiting to be written beyond this are dropped (and counted), so a flood cannot exhaust memory. */
  maxPending?: number;
  flushMs?: number;
}

export interface TraceSummary {
  traceId: string;
  /** The first server span's service and route: where the request entered the traced part of the mesh. */
  rootService: string;
  rootName: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  services: string[];
  error: boolean;
  status: number;
  /**
   * False while the span that began the trace is missing (its proxy sends spans on its own tick, or the
   * trace began outside the mesh): rootService/rootName then name the earliest span we have.
   */
  rootReported: boolean;
}

export interface TraceSearch {
  service?: string | undefined;
  /** An edge: client spans from `source` to `destination`. */
  source?: string | undefined;
  destination?: string | undefined;
  status?: 'error' | 'ok' | number | undefined;
  minDurationMs?: number | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  limit?: number | undefined;
}

/**
 * Spans per INSERT. A batch goes as one JSON parameter, not as Prisma createMany's 12 parameters per
 * row: Prisma's driver adapters pass every query's arguments to @prisma/debug, which keeps the last
 * 100 calls' arguments in memory even with logging off. With createMany batches of 1,000 spans that
 * held ~100,000 spans (~220 MB of live heap at 4,000 spans/s); as JSON strings of 500 spans it is
 * at most ~20 MB, and Postgres parses one JSON value faster than Prisma builds 6,000 parameters.
 */
const WRITE_BATCH = 500;
const COLUMNS = '"span_id", "trace_id", "parent_span_id", "kind", "service", "peer_service", "name", "start_time", "duration_ms", "status", "error", "attributes"';
const INSERT_SPANS = `INSERT INTO "spans" (${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_populate_recordset(NULL::"spans", $1::jsonb) ON CONFLICT ("span_id") DO NOTHING`;

export interface StoredSpan extends Span {
  peerService: string | null;
}

/**
 * Spans in Postgres: written in batches, kept by age and by count, searched by service, edge, status,
 * duration and time. Emits 'span' for every span accepted (the live tap listens), and 'shedding' (spans
 * dropped since the last one, the queue's limit) at most every 10 s while the database falls behind.
 */
export class SpanStore extends EventEmitter {
  private pending: Span[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  dropped = 0;
  written = 0;
  private lastShedNotice = 0;
  private droppedAtNotice = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: SpanStoreOptions,
  ) {
    super();
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 500);
    this.timer.unref();
  }

  add(spans: readonly Span[]): void {
    const limit = this.options.maxPending ?? 50_000;
    const room = limit - this.pending.length;
    if (room < spans.length) {
      this.dropped += spans.length - Math.max(0, room);
      // Shedding is said out loud (and counted in trellis_cp_spans_dropped_total), not left to be noticed.
      const now = Date.now();
      if (now - this.lastShedNotice >= 10_000) {
        this.emit('shedding', this.dropped - this.droppedAtNotice, limit);
        this.lastShedNotice = now;
        this.droppedAtNotice = this.dropped;
      }
    }
    const accepted = room >= spans.length ? spans : spans.slice(0, Math.max(0, room));
    for (const s of accepted) {
      this.pending.push(s);
      this.emit('span', s);
    }
  }

  /** Writes everything received so far. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.pending.length) {
        const batch = this.pending.splice(0, WRITE_BATCH);
        const rows = batch.map(toRow);
        try {
          this.written += await this.prisma.$executeRawUnsafe(INSERT_SPANS, JSON.stringify(rows));
        } catch {
          // jsonb refuses lone UTF-16 surrogates ("\ud800"), which JSON.stringify keeps as escapes, so one
          // such span would cost its whole batch: once more with every string made well-formed.
          try {
            this.written += await this.prisma.$executeRawUnsafe(INSERT_SPANS, JSON.stringify(rows, wellFormed));
          } catch (err) {
            this.dropped += batch.length;
            this.emit('error', err);
          }
        }
        // PGlite runs a query on this thread and its promise settles without a turn of the event loop, so
        // a long queue was written in one stretch (event-loop delay up to 9 s in bench:telemetry at 1,000
        // proxies and 16,000 spans/s) while metric reports, ACKs and heartbeats waited in the sockets.
        await new Promise((r) => setImmediate(r));
      }
    });
    return this.flushing;
  }

  /** Deletes spans past the age limit, then the oldest beyond the count limit. Returns how many went. */
  async enforceRetention(now = Date.now()): Promise<number> {
    await this.flush();
    const byAge = await this.prisma.span.deleteMany({ where: { startTime: { lt: new Date(now - this.options.maxAgeMs) } } });
    const total = await this.prisma.span.count();
    let byCount = 0;
    if (total > this.options.maxSpans) {
      const excess = total - this.options.maxSpans;
      byCount = await this.prisma.$executeRawUnsafe(
        'DELETE FROM "spans" WHERE "span_id" IN (SELECT "span_id" FROM "spans" ORDER BY "start_time" ASC LIMIT $1)',
        excess,
      );
    }
    return byAge.count + byCount;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Traces with at least one span matching the filters, newest first. */
  async search(q: TraceSearch): Promise<TraceSummary[]> {
    await this.flush();
    const limit = Math.min(q.limit ?? 50, 500);
    const { sql, params } = traceSearchSql(q, limit);
    const hits = await this.prisma.$queryRawUnsafe<{ trace_id: string }[]>(sql, ...params);
    const ids = hits.map((h) => h.trace_id);
    if (ids.length === 0) return [];
    const rows = await this.prisma.span.findMany({ where: { traceId: { in: ids } } });
    const byTrace = new Map<string, SpanRow[]>();
    for (const r of rows) byTrace.set(r.traceId, [...(byTrace.get(r.traceId) ?? []), r]);
    return ids.flatMap((id) => {
      const spans = byTrace.get(id);
      return spans ? [summarize(id, spans)] : [];
    });
  }

  /** Every span of one trace, ordered by start time (the tree is in parentSpanId). */
  async trace(traceId: string): Promise<StoredSpan[]> {
    await this.flush();
    const rows = await this.prisma.span.findMany({ where: { traceId }, orderBy: { startTime: 'asc' } });
    return rows.map(fromRow);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** JSON.stringify replacer: lone surrogates become U+FFFD, as Postgres's text input would have them. */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replace(LONE_SURROGATE, '\ufffd') : value;
}

/** A span as a row of the spans table, keyed by column name (jsonb_populate_recordset reads it so). */
function toRow(s: Span) {
  const peer = s.attributes[s.kind === 'client' ? 'destination' : 'source'];
  return {
    span_id: s.spanId,
    trace_id: s.traceId,
    parent_span_id: s.parentSpanId ?? null,
    kind: s.kind,
    service: s.service,
    peer_service: typeof peer === 'string' ? peer : null,
    name: s.name,
    // "timestamp(3)" keeps UTC wall time, as Prisma writes DateTime; the trailing Z is ignored.
    start_time: new Date(s.startMs).toISOString(),
    duration_ms: s.durationMs,
    status: s.status,
    error: s.error,
    attributes: s.attributes,
  };
}

function fromRow(r: SpanRow): StoredSpan {
  return {
    traceId: r.traceId,
    spanId: r.spanId,
    ...(r.parentSpanId ? { parentSpanId: r.parentSpanId } : {}),
    kind: r.kind as Span['kind'],
    service: r.service,
    peerService: r.peerService,
    name: r.name,
    startMs: r.startTime.getTime(),
    durationMs: r.durationMs,
    status: r.status,
    error: r.error,
    attributes: r.attributes as Span['attributes'],
  };
}

/**
 * The query behind search(): every filter is about the whole trace, not one span — the trace has a span
 * of the service (or a call on the edge), has an error (or none), has a span with the status, has a span
 * in the time range, and lasts at least minDurationMs from its first span's start to its last span's end.
 * So "payments, errors only, ≥ 800 ms" finds a slow trace whose payments call failed fast.
 */
/** How many of the newest spans matching a search's most selective condition are looked at. */
const MAX_CANDIDATE_SPANS = 5000;

export function traceSearchSql(q: TraceSearch, limit: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const arg = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const having: string[] = [];
  if (q.service) having.push(`bool_or(service = ${arg(q.service)}::text)`);
  if (q.source && q.destination) having.push(`bool_or(kind = 'client' AND service = ${arg(q.source)}::text AND peer_service = ${arg(q.destination)}::text)`);
  if (q.status === 'error') having.push('bool_or(error)');
  else if (q.status === 'ok') having.push('NOT bool_or(error)');
  else if (typeof q.status === 'number') having.push(`bool_or(status = ${arg(q.status)}::int)`);
  // A span inside the range (with both ends, one span between them, not one after the start and another before the end).
  const from = q.fromMs !== undefined ? `start_time >= ${arg(new Date(q.fromMs).toISOString())}::timestamp` : null;
  const to = q.toMs !== undefined ? `start_time <= ${arg(new Date(q.toMs).toISOString())}::timestamp` : null;
  if (from || to) having.push(`bool_or(${[from, to].filter(Boolean).join(' AND ')})`);
  if (q.minDurationMs !== undefined) {
    having.push(`EXTRACT(EPOCH FROM (MAX(start_time + duration_ms * interval '1 millisecond') - MIN(start_time))) * 1000 >= ${arg(q.minDurationMs)}::float8`);
  }
  // Candidates first, newest first and bounded, through an index: traces with a span of the most selective
  // condition every match must have (a span of the service, on the edge, with an error or the status, in
  // the time range). The whole trace is then checked against every condition.
  const narrow = q.service
    ? `service = ${arg(q.service)}::text`
    : q.source && q.destination
      ? `kind = 'client' AND service = ${arg(q.source)}::text AND peer_service = ${arg(q.destination)}::text`
      : q.status === 'error'
        ? 'error'
        : typeof q.status === 'number'
          ? `status = ${arg(q.status)}::int`
          : [from, to].filter(Boolean).join(' AND ') || 'TRUE';
  const candidates = `SELECT trace_id FROM "spans" WHERE ${narrow} ORDER BY start_time DESC LIMIT ${arg(MAX_CANDIDATE_SPANS)}::int`;
  const sql = `SELECT trace_id FROM "spans" WHERE trace_id IN (${candidates}) GROUP BY trace_id${having.length ? ` HAVING ${having.join(' AND ')}` : ''} ORDER BY MAX(start_time) DESC LIMIT ${arg(limit)}::int`;
  return { sql, params };
}

function summarize(traceId: string, spans: SpanRow[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  const sorted = [...spans].sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  // The root: the span without a parent (where the trace began); until its proxy has reported it, the
  // earliest span whose parent is not in the trace, marked as such so the list does not call it the root.
  const trueRoot = sorted.find((s) => !s.parentSpanId);
  const root = trueRoot ?? sorted.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? sorted[0];
  const start = Math.min(...spans.map((s) => s.startTime.getTime()));
  const end = Math.max(...spans.map((s) => s.startTime.getTime() + s.durationMs));
  return {
    traceId,
    rootService: root?.service ?? '',
    rootName: root?.name ?? '',
    startMs: start,
    durationMs: Math.round((end - start) * 1000) / 1000,
    spanCount: spans.length,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    error: spans.some((s) => s.error),
    status: root?.status ?? 0,
    rootReported: !!trueRoot,
  };
}
