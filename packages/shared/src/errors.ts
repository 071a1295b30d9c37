import type { z } from 'zod';

/** One validation failure, located by a field path such as "spec.backends[1].weight". */
export interface FieldError {
  path: string;
  message: string;
}

/** "spec.backends[1].weight" from ["spec", "backends", 1, "weight"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => formatPath([...issue.path, k]));
      return { path: keys[0] ?? formatPath(issue.path), message: `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` };
    }
    // A record key (a label name) that fails its own rule: keep that rule's message.
    if (issue.code === 'invalid_key') {
      return { path: formatPath(issue.path), message: issue.issues[0]?.message ?? issue.message };
    }
    // A field that is simply missing says so, whatever the field's own type message is.
    const missing = 'input' in issue ? issue.input === undefined : issue.message.includes('received undefined');
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union') && missing) {
      return { path: formatPath(issue.path), message: 'is required' };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** "spec.attempts: must be at most 10; metadata.name: is required" */
export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
}
