import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@trellis/stream-client', include: ['test/**/*.test.ts'] },
});
