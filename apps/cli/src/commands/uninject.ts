// `trellis uninject -f FILE`: lives with inject, which owns the YAML stream handling.
export { runUninject as run } from './inject.ts';
