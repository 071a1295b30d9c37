import { EventEmitter } from 'node:events';
import { parseResource, resolveKind, type FieldError, type Resource, type ResourceKind } from '@trellis/shared';
import type { PrismaClient, Revision as RevisionRow } from '../generated/prisma/client.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { canonical, revisionBody, toResource } from './representation.ts';
import { diffObjects, type Change } from './diff.ts';

export interface ResourceRef {
  kind: ResourceKind;
  namespace: string;
  name: string;
}

export interface WriteOptions {
  author: string;
  note?: string | undefined;
  /** The write comes from the external source itself (a Kubernetes watch): do not write it back there. */
  fromSource?: boolean | undefined;
}

/**
 * Where resources are really kept when it is not the database (Kubernetes custom resources): every
 * write through the API goes there first, and a refusal there (a 409) is a ConflictError here.
 */
export interface ResourceSource {
  write(resource: Resource, author: string): Promise<void>;
  remove(ref: ResourceRef, author: string): Promise<void>;
}

export interface RevisionEntry {
  revision: number;
  action: 'CREATE' | 'UPDATE' | 'DELETE' | 'ROLLBACK';
  author: string;
  note: string | null;
  createdAt: string;
  before: Resource | null;
  after: Resource | null;
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * Resources and their revisions in Postgres. Every accepted write is one transaction: the resource row,
 * its revision (before/after, author, note) and an audit entry; refused writes are audited too. Emits
 * 'change' (ResourceRef) after a write commits.
 */
export class ResourceStore extends EventEmitter {
  private source: ResourceSource | undefined;

  constructor(private readonly prisma: PrismaClient) {
    super();
  }

  /** From now on, writes go to `source` first (Kubernetes mode: custom resources are the source of truth). */
  useSource(source: ResourceSource): void {
    this.source = source;
  }

  /** Turns "retrypolicies" into "RetryPolicy"; unknown kinds are a validation error naming `kind`. */
  static kind(text: string): ResourceKind {
    const kind = resolveKind(text);
    if (!kind) throw new ValidationError([{ path: 'kind', message: `unknown kind "${text}"` }]);
    return kind;
  }

  async list(filter: { kind?: ResourceKind | undefined; namespace?: string | undefined } = {}): Promise<Resource[]> {
    const rows = await this.prisma.resource.findMany({
      where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.namespace ? { namespace: filter.namespace } : {}) },
      orderBy: [{ kind: 'asc' }, { namespace: 'asc' }, { name: 'asc' }],
    });
    return rows.map(toResource);
  }

  async get(ref: ResourceRef): Promise<Resource | null> {
    const row = await this.prisma.resource.findUnique({ where: { kind_namespace_name: ref } });
    return row ? toResource(row) : null;
  }

  /** Creates or updates one resource. A stale metadata.resourceVersion is a ConflictError. */
  async apply(input: unknown, options: WriteOptions): Promise<{ resource: Resource; outcome: ApplyOutcome }> {
    const [result] = await this.applyAll([input], options);
    if (!result) throw new Error('applyAll returned no result');
    return result;
  }

  /**
   * Creates or updates several resources in one transaction (a multi-document `trellis apply`): all of
   * them are written, or none is. Validation errors name the document (`documents[i].<path>`) when
   * there is more than one.
   */
  async applyAll(inputs: readonly unknown[], options: WriteOptions): Promise<Array<{ resource: Resource; outcome: ApplyOutcome }>> {
    const wanted: Resource[] = [];
    const errors: FieldError[] = [];
    for (const [i, input] of inputs.entries()) {
      const parsed = parseResource(input);
      if (parsed.ok) wanted.push(parsed.resource);
      else {
        await this.auditInvalid(input, options.author, parsed.errors);
        const where = inputs.length > 1 ? `documents[${i}]` : '';
        errors.push(...parsed.errors.map((e) => ({ ...e, path: [where, e.path].filter(Boolean).join('.') })));
      }
    }
    if (errors.length) throw new ValidationError(errors);
    let ref = refOf(wanted[0]);
    if (this.source && !options.fromSource) await this.writeToSource(wanted, options);
    try {
      const results = await this.prisma.$transaction(
        async (tx) => {
          const written: Array<{ resource: Resource; outcome: ApplyOutcome }> = [];
          for (const resource of wanted) {
            ref = refOf(resource);
            written.push(await this.write(tx, ref, resource, options));
          }
          return written;
        },
        // About six queries per document; Prisma's default of 5 s is for one.
        { timeout: 5_000 + 50 * wanted.length, maxWait: 10_000 },
      );
      // With the committed resource, so followers in this process need not read it back.
      for (const r of results) if (r.outcome !== 'unchanged') this.emit('change', refOf(r.resource), r.resource);
      return results;
    } catch (err) {
      throw await this.refused(err, options.author, 'apply', ref);
    }
  }

  /**
   * Writes each changed resource to the source, after checking its resourceVersion against ours. The
   * source then does the compare-and-swap (its own resourceVersion), so ours is dropped from `wanted`.
   * Not atomic across resources: Kubernetes has no multi-object transaction.
   */
  private async writeToSource(wanted: Resource[], options: WriteOptions): Promise<void> {
    const source = this.source;
    if (!source) return;
    for (const [i, resource] of wanted.entries()) {
      const ref = refOf(resource);
      const existing = await this.prisma.resource.findUnique({ where: { kind_namespace_name: ref } });
      const expected = resource.metadata.resourceVersion;
      try {
        if (expected !== undefined && (!existing || String(existing.revision) !== expected)) {
          throw new ConflictError(`${describe(ref)} was changed by someone else (it is at resourceVersion ${existing?.revision ?? 'none'}, you sent ${expected}); fetch it again and reapply your change`);
        }
        if (!existing || canonical(revisionBody(toResource(existing))) !== canonical(revisionBody(resource))) await source.write(resource, options.author);
      } catch (err) {
        throw await this.refused(err, options.author, 'apply', ref);
      }
      const { resourceVersion: _checked, ...metadata } = resource.metadata;
      wanted[i] = { ...resource, metadata } as Resource;
    }
  }

  /** One resource's write inside a transaction: compare-and-swap on its revision, a revision row, an audit entry. */
  private async write(tx: Tx, ref: ResourceRef, wanted: Resource, options: WriteOptions): Promise<{ resource: Resource; outcome: ApplyOutcome }> {
    const expected = wanted.metadata.resourceVersion;
    const body = revisionBody(wanted);
    const existing = await tx.resource.findUnique({ where: { kind_namespace_name: ref } });
    if (expected !== undefined && (!existing || String(existing.revision) !== expected)) {
      throw new ConflictError(
        existing
          ? `${describe(ref)} was changed by someone else (it is at resourceVersion ${existing.revision}, you sent ${expected}); fetch it again and reapply your change`
          : `${describe(ref)} no longer exists (you sent resourceVersion ${expected}); remove resourceVersion to create it anew`,
      );
    }
    if (existing && canonical(revisionBody(toResource(existing))) === canonical(body)) {
      return { resource: toResource(existing), outcome: 'unchanged' };
    }
    const revision = (await this.lastRevision(tx, ref)) + 1;
    const data = {
      revision,
      labels: body.metadata.labels ?? {},
      annotations: body.metadata.annotations ?? {},
      spec: body.spec as object,
    };
    let row;
    if (existing) {
      // Compare-and-swap on the revision: of two concurrent writers only one can move it.
      const { count } = await tx.resource.updateMany({ where: { id: existing.id, revision: existing.revision }, data });
      if (count === 0) throw new ConflictError(`${describe(ref)} was changed concurrently; fetch it again and reapply`);
      row = await tx.resource.findUniqueOrThrow({ where: { id: existing.id } });
    } else {
      row = await tx.resource.create({ data: { ...ref, ...data } });
    }
    await tx.revision.create({
      data: {
        ...ref,
        revision,
        action: existing ? 'UPDATE' : 'CREATE',
        author: storable(options.author, 200),
        note: options.note ?? null,
        before: existing ? asJson(revisionBody(toResource(existing))) : undefined,
        after: asJson(body),
      },
    });
    await this.audit(options.author, 'apply', ref, 'ok', `revision ${revision}`, tx);
    return { resource: toResource(row), outcome: existing ? 'updated' : 'created' };
  }

  /** Refused input is audited too, under whatever name it gave itself. */
  private async auditInvalid(input: unknown, author: string, errors: FieldError[]): Promise<void> {
    const meta = (input as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null) ?? {};
    const text = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v.slice(0, 253) : fallback);
    await this.audit(author, 'apply', {
      kind: text(meta.kind, '?'),
      namespace: text(meta.metadata?.namespace, 'default'),
      name: text(meta.metadata?.name, '?'),
    }, 'invalid', errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }

  /** Deletes a resource; its history stays. */
  async delete(ref: ResourceRef, options: WriteOptions & { resourceVersion?: string | undefined }): Promise<Resource> {
    try {
      if (this.source && !options.fromSource) {
        const existing = await this.prisma.resource.findUnique({ where: { kind_namespace_name: ref } });
        if (!existing) throw new NotFoundError(`${describe(ref)} not found`);
        if (options.resourceVersion !== undefined && String(existing.revision) !== options.resourceVersion) {
          throw new ConflictError(`${describe(ref)} is at resourceVersion ${existing.revision}, not ${options.resourceVersion}`);
        }
        await this.source.remove(ref, options.author);
      }
      const deleted = await this.prisma.$transaction(async (tx) => {
        const existing = await tx.resource.findUnique({ where: { kind_namespace_name: ref } });
        if (!existing) throw new NotFoundError(`${describe(ref)} not found`);
        if (options.resourceVersion !== undefined && String(existing.revision) !== options.resourceVersion) {
          throw new ConflictError(`${describe(ref)} is at resourceVersion ${existing.revision}, not ${options.resourceVersion}`);
        }
        const { count } = await tx.resource.deleteMany({ where: { id: existing.id, revision: existing.revision } });
        if (count === 0) throw new ConflictError(`${describe(ref)} was changed concurrently`);
        const revision = (await this.lastRevision(tx, ref)) + 1;
        await tx.revision.create({
          data: {
            ...ref,
            revision,
            action: 'DELETE',
            author: storable(options.author, 200),
            note: options.note ?? null,
            before: asJson(revisionBody(toResource(existing))),
          },
        });
        await this.audit(options.author, 'delete', ref, 'ok', `revision ${revision}`, tx);
        return toResource(existing);
      });
      this.emit('change', ref, null);
      return deleted;
    } catch (err) {
      throw await this.refused(err, options.author, 'delete', ref);
    }
  }

  /** Every revision of a resource, newest first (kept after deletion). */
  async history(ref: ResourceRef): Promise<RevisionEntry[]> {
    const rows = await this.prisma.revision.findMany({ where: ref, orderBy: { revision: 'desc' } });
    return rows.map(toEntry);
  }

  /** What changed between two revisions (to defaults to the newest). */
  async diff(ref: ResourceRef, from: number, to?: number): Promise<{ from: RevisionEntry; to: RevisionEntry; changes: Change[] }> {
    const rows = await this.prisma.revision.findMany({ where: ref, orderBy: { revision: 'desc' } });
    const newest = rows[0];
    if (!newest) throw new NotFoundError(`${describe(ref)} has no history`);
    const a = rows.find((r) => r.revision === from);
    const b = to === undefined ? newest : rows.find((r) => r.revision === to);
    if (!a) throw new NotFoundError(`${describe(ref)} has no revision ${from}`);
    if (!b) throw new NotFoundError(`${describe(ref)} has no revision ${to}`);
    return { from: toEntry(a), to: toEntry(b), changes: diffObjects(stateAfter(a), stateAfter(b)) };
  }

  /** Makes the resource what it was after revision `to`, as a new revision (history is never rewritten). */
  async rollback(ref: ResourceRef, to: number, options: WriteOptions): Promise<{ resource: Resource; outcome: ApplyOutcome }> {
    const target = await this.prisma.revision.findUnique({ where: { kind_namespace_name_revision: { ...ref, revision: to } } });
    if (!target) throw new NotFoundError(`${describe(ref)} has no revision ${to}; see \`trellis history ${ref.kind} ${ref.name}\``);
    const state = stateAfter(target);
    if (!state) throw new ValidationError([{ path: 'to', message: `revision ${to} is a deletion; roll back to a revision that has content` }]);
    const note = options.note ?? `rollback to revision ${to}`;
    const result = await this.apply(state, { ...options, note });
    if (result.outcome !== 'unchanged') {
      // Mark the new revision as a rollback rather than an ordinary update.
      await this.prisma.revision.updateMany({
        where: { ...ref, revision: Number(result.resource.metadata.resourceVersion) },
        data: { action: 'ROLLBACK' },
      });
    }
    return result;
  }

  private async lastRevision(tx: Tx, ref: ResourceRef): Promise<number> {
    const last = await tx.revision.aggregate({ where: ref, _max: { revision: true } });
    return last._max.revision ?? 0;
  }

  private async refused(err: unknown, author: string, action: string, ref: ResourceRef): Promise<unknown> {
    let error = err;
    // A unique violation means a concurrent create of the same resource committed first.
    if ((err as { code?: string }).code === 'P2002') error = new ConflictError(`${describe(ref)} was created concurrently; fetch it and reapply`);
    // The transaction ran out of time (a very large apply on a slow database): nothing was written.
    if ((err as { code?: string }).code === 'P2028') error = new Error(`the write did not finish in time and nothing was written; apply fewer resources at once`);
    const outcome = error instanceof ConflictError ? 'conflict' : error instanceof NotFoundError ? 'not-found' : undefined;
    if (outcome) await this.audit(author, action, ref, outcome, (error as Error).message);
    return error;
  }

  private async audit(
    actor: string,
    action: string,
    ref: { kind: string; namespace: string; name: string },
    outcome: string,
    detail: string,
    tx: Tx = this.prisma,
  ): Promise<void> {
    // Refusals are audited under whatever the input called itself: keep only what Postgres can store.
    await tx.auditEntry.create({
      data: {
        actor: storable(actor, 200),
        action,
        kind: storable(ref.kind, 253),
        namespace: storable(ref.namespace, 253),
        name: storable(ref.name, 253),
        outcome,
        detail: storable(detail, 4000),
      },
    });
  }
}

/** NUL (Postgres refuses it in text) and lone UTF-16 surrogates become U+FFFD; long text is cut. */
function storable(text: string, max: number): string {
  const bounded = text.length > max ? `${text.slice(0, max)}…` : text;
  return bounded.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Resources are plain JSON; Prisma's Json input type just cannot see that through zod's types. */
function asJson(resource: Resource): object {
  return resource as unknown as object;
}

function refOf(resource: Resource | undefined): ResourceRef {
  if (!resource) throw new ValidationError([{ path: 'resources', message: 'nothing to apply' }]);
  return { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name };
}

function describe(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function stateAfter(row: RevisionRow): Resource | null {
  return (row.after as Resource | null) ?? null;
}

function toEntry(row: RevisionRow): RevisionEntry {
  return {
    revision: row.revision,
    action: row.action,
    author: row.author,
    note: row.note,
    createdAt: row.createdAt.toISOString(),
    before: (row.before as Resource | null) ?? null,
    after: (row.after as Resource | null) ?? null,
  };
}
