import { defineConfig } from 'vitest/config';

// One vitest run over every workspace (each folder is a project with its own tests); the global setup
// builds the trellis bundle once, so tests that start real control planes and proxies share it.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    globalSetup: ['./scripts/vitest-global-setup.ts'],
  },
});
