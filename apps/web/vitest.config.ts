import { defineProject } from 'vitest/config';

// The dashboard's pure logic (what the graph draws at scale); pages are tested in the browser (e2e/).
export default defineProject({
  test: { name: '@trellis/web', include: ['src/**/*.test.ts'] },
});
