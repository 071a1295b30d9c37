import { defineProject } from 'vitest/config';

// These tests run the built `trellis` command as a user would; the global setup builds it once.
export default defineProject({
  test: {
    name: '@trellis/cli',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../scripts/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
