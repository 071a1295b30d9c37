import { defineConfig } from 'vitest/config';

// One vitest run over every workspace; each workspace's own vitest.config.ts names it and sets its
// timeouts (and, where tests start real processes, builds the trellis bundle first).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
