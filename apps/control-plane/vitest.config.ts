import { defineProject } from 'vitest/config';

// Integration tests against real databases (PGlite and the local Postgres) and real sockets.
export default defineProject({
  test: {
    name: '@trellis/control-plane',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
