import type { CompiledCache } from '@trellis/shared';
import type { HeaderMap } from '../http/headers.ts';

/** One stored response. */
export interface CacheEntry {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  storedAt: number;
  expiresAt: number;
  /** Request header values this response was chosen by (Vary), name -> value. */
  vary: ReadonlyArray<readonly [string, string | undefined]>;
}

/** Variants kept per URL (different Vary values); more is a sign of a Vary on a high-cardinality header. */
const MAX_VARIANTS = 8;

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * An in-memory LRU of responses bounded by entry count and total bytes (the CachePolicy's limits).
 * A Map keeps insertion order, so re-inserting on use makes its first key the least recently used.
 */
export class CacheStore {
  private readonly entries = new Map<string, CacheEntry[]>();
  private count = 0;
  private bytes = 0;

  constructor(public limits: CompiledCache) {}

  /** A fresh entry for `key` whose Vary values match the request's headers. */
  get(key: string, requestHeaders: HeaderMap, now: number): CacheEntry | undefined {
    const variants = this.entries.get(key);
    if (!variants) return undefined;
    for (const entry of variants) {
      if (entry.expiresAt <= now) continue;
      if (entry.vary.every(([name, value]) => headerText(requestHeaders[name]) === value)) {
        this.entries.delete(key);
        this.entries.set(key, variants);
        return entry;
      }
    }
    return undefined;
  }

  put(key: string, entry: CacheEntry, now: number): void {
    if (entry.body.length > this.limits.maxEntryBytes || entry.body.length > this.limits.maxTotalBytes) return;
    const old = this.entries.get(key) ?? [];
    // Drop expired variants and the one this entry replaces.
    const kept = old.filter((e) => {
      const replace = e.expiresAt <= now || e.vary.every(([name, value]) => entry.vary.some(([n, v]) => n === name && v === value));
      if (replace) this.forget(e);
      return !replace;
    });
    if (kept.length >= MAX_VARIANTS) {
      const dropped = kept.shift();
      if (dropped) this.forget(dropped);
    }
    kept.push(entry);
    this.count++;
    this.bytes += entry.body.length;
    this.entries.delete(key);
    this.entries.set(key, kept);
    this.evict(key);
  }

  /** Request header values an entry must be matched by, for the response's Vary names. */
  static varyValues(names: readonly string[], requestHeaders: HeaderMap): Array<readonly [string, string | undefined]> {
    return names.map((n) => [n, headerText(requestHeaders[n])] as const);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.count, bytes: this.bytes };
  }

  private forget(entry: CacheEntry): void {
    this.count--;
    this.bytes -= entry.body.length;
  }

  private evict(keep: string): void {
    for (const [key, variants] of this.entries) {
      if (this.count <= this.limits.maxEntries && this.bytes <= this.limits.maxTotalBytes) return;
      if (key === keep) continue;
      for (const e of variants) this.forget(e);
      this.entries.delete(key);
    }
  }
}
