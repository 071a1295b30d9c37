import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const cache = (spec: Record<string, unknown>) => resource('CachePolicy', { targetRef: target('catalog'), ...spec }, { name: 'catalog-cache' });
const MiB = 1024 * 1024;

describe('CachePolicy', () => {
  it('accepts a full example', () => {
    const r = accept('CachePolicy', cache({ maxEntries: 5000, maxEntryBytes: 256 * 1024, maxTotalBytes: 128 * MiB, defaultTtl: '30s' }));
    expect(r.spec).toEqual({
      targetRef: { kind: 'Service', name: 'catalog' },
      maxEntries: 5000,
      maxEntryBytes: 256 * 1024,
      maxTotalBytes: 128 * MiB,
      defaultTtl: '30s',
    });
  });

  it('fills in size defaults for a minimal policy and leaves defaultTtl unset (no max-age, no caching)', () => {
    const r = accept('CachePolicy', cache({}));
    expect(r.spec.maxEntries).toBe(1000);
    expect(r.spec.maxEntryBytes).toBe(MiB);
    expect(r.spec.maxTotalBytes).toBe(64 * MiB);
    expect(r.spec.defaultTtl).toBeUndefined();
  });

  it('caps one entry at 64 MiB', () => {
    accept('CachePolicy', cache({ maxEntryBytes: 64 * MiB, maxTotalBytes: 64 * MiB }));
    rejectAt(cache({ maxEntryBytes: 64 * MiB + 1, maxTotalBytes: 128 * MiB }), 'spec.maxEntryBytes', /must be at most 64 MiB/);
  });

  it('wants sizes of at least 1, as whole numbers', () => {
    rejectAt(cache({ maxEntries: 0 }), 'spec.maxEntries', /must be at least 1/);
    rejectAt(cache({ maxEntryBytes: 0 }), 'spec.maxEntryBytes', /must be at least 1/);
    rejectAt(cache({ maxEntries: 10.5 }), 'spec.maxEntries', /expected int/);
  });

  it('refuses malformed and out-of-bounds TTLs (1ms..24h)', () => {
    rejectAt(cache({ defaultTtl: '2d' }), 'spec.defaultTtl', /"2d" is not a duration/);
    rejectAt(cache({ defaultTtl: '25h' }), 'spec.defaultTtl', /between 1ms and 24h \(got 25h\)/);
    rejectAt(cache({ defaultTtl: '0s' }), 'spec.defaultTtl', /between 1ms and 24h/);
  });

  // FAILS until fixed in src/resources/cache-policy.ts (see the report): an entry larger than the whole
  // cache can never be stored, so the two limits contradict each other.
  it('refuses a maxEntryBytes larger than maxTotalBytes', () => {
    rejectAt(cache({ maxEntryBytes: 8 * MiB, maxTotalBytes: 4 * MiB }), 'spec.maxEntryBytes', /must not be larger than maxTotalBytes/);
  });

  it('refuses a typo', () => {
    rejectAt(cache({ ttl: '30s' }), 'spec.ttl', /unknown field spec\.ttl/);
  });
});
