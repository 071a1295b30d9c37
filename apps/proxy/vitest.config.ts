import { defineProject } from 'vitest/config';

// These tests run real `trellis proxy` processes against real upstream servers on 127.0.0.1; the global
// setup builds the trellis bundle once.
export default defineProject({
  test: {
    name: '@trellis/proxy',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../scripts/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
