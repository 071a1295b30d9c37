import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parses "250ms", "2s", "1.5m" or "1h" to milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const [, amount, unit] = m as unknown as [string, string, keyof typeof UNIT_MS];
  return Number(amount) * UNIT_MS[unit];
}

const LIFETIME = /^(\d+(?:\.\d+)?)d$/;

/**
 * Parses a lifetime (of a token or certificate): a duration, or whole or fractional days ("30d"), which
 * policy durations never need. Undefined when the text is neither.
 */
export function parseLifetime(text: string): number | undefined {
  const days = LIFETIME.exec(text.trim());
  return days ? Number(days[1]) * 86_400_000 : parseDuration(text);
}

/** Formats milliseconds the way users write them ("250ms", "2s", "1.5m"). */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${ms / 1000}s`;
  if (ms < 3_600_000 || ms % 3_600_000 !== 0) return `${ms / 60_000}m`;
  return `${ms / 3_600_000}h`;
}

/** A duration field written as text ("250ms", "2s"), bounded, kept as text so YAML round-trips unchanged. */
export function duration(bounds: { min: number; max: number }) {
  return z.string().superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write it like "250ms", "2s" or "1m"` });
    } else if (ms < bounds.min || ms > bounds.max) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)} (got ${text})`,
      });
    }
  });
}

/** Milliseconds of a duration that its schema already accepted. */
export function ms(text: string): number {
  const value = parseDuration(text);
  if (value === undefined) throw new Error(`not a duration: ${text}`);
  return value;
}
