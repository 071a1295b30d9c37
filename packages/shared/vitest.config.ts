import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@trellis/shared', include: ['test/**/*.test.ts'] },
});
