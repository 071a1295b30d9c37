import { RE2JS, RE2Set } from 're2js';

// Every regular expression in a policy is RE2 syntax, matched by re2js (a pure-JS port of RE2): time is
// linear in the input whatever the pattern, so no request can make a proxy backtrack (`(a+)+b`).

/**
 * Largest compiled program accepted, in RE2 instructions: Envoy's default limit. Matching time per
 * character grows with it; ordinary route patterns are 10-50 (a UUID path is 51).
 */
export const MAX_REGEX_PROGRAM_SIZE = 100;

/**
 * Memory one expression's lazy DFA may cache before it starts over (and, when it makes too little
 * progress, falls back to the NFA). re2js's default of 8 MiB per expression lets adversarial inputs
 * build states for tens of milliseconds per request and keeps the memory; 256 KiB bounds both
 * (measured: ~15-25 ms for 10,000 hostile characters against a 100-instruction pattern built to defeat
 * the DFA, against 70-90 ms with 8 MiB), and ordinary patterns never come near it.
 */
const DFA_MEMORY_BYTES = 256 * 1024;

/** Why `pattern` cannot be used in a policy, or undefined when it can (RE2 syntax, bounded size). */
export function regexProblem(pattern: string): string | undefined {
  let size: number;
  try {
    size = RE2JS.compile(pattern).programSize();
  } catch (err) {
    return `is not a valid RE2 regular expression (${(err as Error).message}); RE2 has no lookahead, lookbehind or backreferences`;
  }
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return `is too complex: it compiles to ${size} RE2 instructions, more than ${MAX_REGEX_PROGRAM_SIZE}; use fewer or smaller counted repetitions ({n})`;
  }
  return undefined;
}

/** A test that `pattern` matches the whole value, in time linear in the value's length. */
export function compileFullMatch(pattern: string): (value: string) => boolean {
  const set = new RE2Set(RE2Set.ANCHOR_BOTH, 0, DFA_MEMORY_BYTES);
  set.add(pattern);
  set.compile();
  return (value) => set.match(value).length > 0;
}
