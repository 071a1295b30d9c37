import { z } from 'zod';
import { defineKind } from './define.ts';
import { targetRef } from './common.ts';
import { duration } from '../duration.ts';

/** A shared HTTP cache (RFC 9111 basics) in front of the target service, run by its own proxies. */
export const cachePolicySpec = z
  .strictObject({
  targetRef,
  maxEntries: z.number().int().min(1, { error: 'must be at least 1' }).max(1_000_000).default(1000),
  maxEntryBytes: z.number().int().min(1, { error: 'must be at least 1' }).max(64 * 1024 * 1024, { error: 'must be at most 64 MiB' }).default(1024 * 1024),
  maxTotalBytes: z.number().int().min(1).max(4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** Freshness for responses that carry no max-age; omitted means such responses are not cached. */
  defaultTtl: duration({ min: 1, max: 86_400_000 }).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.maxEntryBytes > s.maxTotalBytes) {
      ctx.addIssue({ code: 'custom', path: ['maxEntryBytes'], message: `must not be larger than maxTotalBytes (${s.maxEntryBytes} > ${s.maxTotalBytes})` });
    }
  });

export const cachePolicyResource = defineKind('CachePolicy', cachePolicySpec);
export type CachePolicySpec = z.infer<typeof cachePolicySpec>;
