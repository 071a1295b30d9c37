import { describe, expect, it } from 'vitest';
import { duration, formatDuration, ms, parseDuration, parseLifetime } from '../src/index.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['0ms', 0],
    ['2s', 2000],
    ['1.5s', 1500],
    ['0.5ms', 0.5],
    ['1m', 60_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    [' 2s ', 2000],
  ])('reads %j as %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(['', '2', 's', '2 seconds', '2 s', '-1s', '+1s', '1.s', '.5s', '2S', '2Ms', '1d', '1w', '1e3ms', '2s500ms', '1h30m', 'two seconds', 'NaNs', 'Infinityms'])(
    'is not a duration: %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [0, '0ms'],
    [1500, '1500ms'],
    [2000, '2s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [90_000, '90s'],
    [300_000, '5m'],
    [5_400_000, '90m'],
    [3_600_000, '1h'],
    [86_400_000, '24h'],
  ])('writes %d ms as %j', (value, text) => {
    expect(formatDuration(value)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const value of [1, 25, 999, 1000, 1001, 61_000, 120_000, 3_599_999, 7_200_000]) {
      expect(parseDuration(formatDuration(value))).toBe(value);
    }
  });
});

describe('ms', () => {
  it('reads an accepted duration', () => {
    expect(ms('250ms')).toBe(250);
    expect(ms('1.5m')).toBe(90_000);
  });

  it('throws on text that is not a duration', () => {
    expect(() => ms('soon')).toThrow(/not a duration: soon/);
  });
});

describe('duration(bounds)', () => {
  const between1msAnd1m = duration({ min: 1, max: 60_000 });
  const messages = (text: unknown) => {
    const r = between1msAnd1m.safeParse(text);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it('accepts durations within the bounds, inclusive, kept as written', () => {
    expect(between1msAnd1m.parse('1ms')).toBe('1ms');
    expect(between1msAnd1m.parse('60s')).toBe('60s');
    expect(between1msAnd1m.parse('1m')).toBe('1m');
    expect(between1msAnd1m.parse('0.5m')).toBe('0.5m');
  });

  it('refuses durations outside the bounds, naming both bounds and the value', () => {
    expect(messages('0ms')).toEqual(['must be between 1ms and 1m (got 0ms)']);
    expect(messages('61s')).toEqual(['must be between 1ms and 1m (got 61s)']);
    expect(messages('1h')).toEqual(['must be between 1ms and 1m (got 1h)']);
  });

  it('refuses malformed text with an example of the right form', () => {
    expect(messages('2 seconds')).toEqual(['"2 seconds" is not a duration; write it like "250ms", "2s" or "1m"']);
    expect(messages('-1s')).toEqual(['"-1s" is not a duration; write it like "250ms", "2s" or "1m"']);
  });

  it('refuses numbers: a duration carries its unit', () => {
    expect(between1msAnd1m.safeParse(250).success).toBe(false);
  });

  it('formats bounds that are not whole units readably', () => {
    const r = duration({ min: 100, max: 90_000 }).safeParse('2m');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('must be between 100ms and 90s (got 2m)');
  });
});

describe('parseLifetime', () => {
  it('takes days as well as durations, for token and certificate lifetimes', () => {
    expect(parseLifetime('30d')).toBe(30 * 86_400_000);
    expect(parseLifetime('0.5d')).toBe(43_200_000);
    expect(parseLifetime('24h')).toBe(86_400_000);
    expect(parseLifetime('90s')).toBe(90_000);
    expect(parseLifetime('1w')).toBeUndefined();
    expect(parseLifetime('d')).toBeUndefined();
  });
});
