import { describe, expect, it } from 'vitest';
import { compileFullMatch, regexProblem } from '../src/index.ts';

describe('policy regular expressions (RE2)', () => {
  it('match the whole value, as routes read them', () => {
    const test = compileFullMatch('/items/[0-9]+');
    expect(test('/items/42')).toBe(true);
    expect(test('/items/42/reviews')).toBe(false);
    expect(test('/x/items/42')).toBe(false);
    expect(compileFullMatch('1|true')('true')).toBe(true);
    expect(compileFullMatch('1|true')('11')).toBe(false);
  });

  it('match a 10,000-character adversarial value of (a+)+b in linear time', () => {
    const test = compileFullMatch('/(a+)+b');
    const hostile = `/${'a'.repeat(10_000)}`;
    const started = performance.now();
    expect(test(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('name what is wrong with a pattern, and accept ordinary ones', () => {
    expect(regexProblem('/reviews/[0-9]+')).toBeUndefined();
    expect(regexProblem('(?i)(chrome|firefox)/[0-9.]+')).toBeUndefined();
    expect(regexProblem('/users/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/.*)?')).toBeUndefined();
    expect(regexProblem('(?<=a)b')).toMatch(/not a valid RE2 regular expression/);
    expect(regexProblem('a{1001}')).toMatch(/invalid repeat count/);
  });
});
