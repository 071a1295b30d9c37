import { formatPath, type FieldError } from './errors.ts';

// What any input to the API must respect before a schema looks at it, whatever its shape: bounded
// nesting and array lengths (so no validator, differ or serialiser recurses or loops without end), text
// Postgres can store (no NUL) and that is well-formed UTF-16 (no lone surrogate, which would turn into
// U+FFFD on the way to the database), and no key that means something to JavaScript objects.

export interface InputLimits {
  /** Deepest nesting of objects and arrays; a resource needs about 8. */
  maxDepth: number;
  /** Most items in any one array. */
  maxArrayItems: number;
  /** Most keys in any one object. */
  maxObjectKeys: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxDepth: 32, maxArrayItems: 10_000, maxObjectKeys: 10_000 };

/**
 * Keys refused like any unknown field: `__proto__` in a record (labels, selectors, annotations) would
 * otherwise set the prototype of the parsed object and vanish silently, and the others are traps for
 * whatever code walks the object later.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What is wrong with a piece of text, or undefined: NUL, or a UTF-16 surrogate without its pair. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return `must be well-formed Unicode (a lone UTF-16 surrogate \\u${unit.toString(16)} at character ${i})`;
  }
  return undefined;
}

/**
 * The first way `input` breaks the limits, with the field's path ("spec.rules[3].from[0]"), or
 * undefined. Walks without recursion, so any nesting depth is safe to inspect.
 */
export function checkInputBounds(input: unknown, limits: InputLimits = DEFAULT_INPUT_LIMITS): FieldError | undefined {
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value: input, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { path: formatPath(path), message: problem };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= limits.maxDepth) {
      return { path: formatPath(path), message: `nests deeper than ${limits.maxDepth} levels of objects and arrays` };
    }
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayItems) {
        return { path: formatPath(path), message: `has ${value.length} items, more than ${limits.maxArrayItems}` };
      }
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > limits.maxObjectKeys) {
      return { path: formatPath(path), message: `has ${keys.length} fields, more than ${limits.maxObjectKeys}` };
    }
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) {
        const where = formatPath([...path, key]);
        return { path: where, message: `unknown field ${where}` };
      }
      const problem = textProblem(key);
      // The key itself cannot be shown as it is: JSON escapes what is wrong with it.
      if (problem) return { path: `${formatPath(path)}[${JSON.stringify(key)}]`, message: `the field name ${problem}` };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}
